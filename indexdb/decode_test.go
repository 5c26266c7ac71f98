//go:build js

package indexdb

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"syscall/js"
	"testing"

	"parley/core"
)

// fillEvery sets every field of the struct v points to a distinct non-zero
// value (nested pointers to structs are filled the same way), so a field
// the record decoders do not read comes back zero and differs.
func fillEvery(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		*n++
		switch f.Kind() {
		case reflect.String:
			f.SetString("v" + strconv.Itoa(*n))
		case reflect.Int, reflect.Int64, reflect.Int32:
			f.SetInt(int64(*n))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.Struct {
				s := reflect.MakeSlice(f.Type(), 1, 1)
				fillEvery(t, s.Index(0), n)
				f.Set(s)
				continue
			}
			if f.Type().Elem().Kind() == reflect.String {
				f.Set(reflect.ValueOf([]string{"v" + strconv.Itoa(*n), "w" + strconv.Itoa(*n)}))
				continue
			}
			if f.Type().Elem().Kind() != reflect.Uint8 {
				t.Fatalf("field %s: no filler for %s", v.Type().Field(i).Name, f.Type())
			}
			// json.RawMessage content: valid JSON with an integer-like key.
			f.SetBytes([]byte(`{"2":` + strconv.Itoa(*n) + `,"1":"x"}`))
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			fillEvery(t, p.Elem(), n)
			f.Set(p)
		default:
			t.Fatalf("field %s: no filler for %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// TestRecordDecodersCoverEveryField stores records with every field set and
// reads them back through each decoding read, so a field added to core's
// types without a line in decode.go fails here.
func TestRecordDecodersCoverEveryField(t *testing.T) {
	ctx := context.Background()
	s := open(t, DBName(prefix(t), "u"), Config{})
	n := 0
	var m core.Message
	fillEvery(t, reflect.ValueOf(&m).Elem(), &n)
	m.Seq = 7
	var cv core.Conversation
	fillEvery(t, reflect.ValueOf(&cv).Elem(), &n)
	cv.ConversationID = m.ConversationID
	var u core.User
	fillEvery(t, reflect.ValueOf(&u).Elem(), &n)
	var g core.Group
	fillEvery(t, reflect.ValueOf(&g).Elem(), &n)
	var e core.OutboxEntry
	fillEvery(t, reflect.ValueOf(&e).Elem(), &n)
	var fr core.FriendRequest
	fillEvery(t, reflect.ValueOf(&fr).Elem(), &n)
	var gm core.GroupMember
	fillEvery(t, reflect.ValueOf(&gm).Elem(), &n)
	var ga core.GroupApplication
	fillEvery(t, reflect.ValueOf(&ga).Elem(), &n)
	ch := &core.Changes{Messages: []core.Message{m}, Conversations: []core.Conversation{cv}, Users: []core.User{u}, Friends: []core.User{u}, Groups: []core.Group{g}, Outbox: []core.OutboxEntry{e},
		FriendRequests: []core.FriendRequest{fr}, Black: []core.User{u}, GroupMembers: []core.GroupMember{gm}, GroupApplications: []core.GroupApplication{ga}}
	if err := s.Apply(ctx, ch); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
	gotMsgs, err := s.Messages(ctx, []string{m.ClientMsgID})
	if err != nil {
		t.Fatal(err)
	}
	check("Messages", gotMsgs, []core.Message{m})
	gotMsgs, err = s.MessagesBySeq(ctx, m.ConversationID, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	check("MessagesBySeq", gotMsgs, []core.Message{m})
	gotCv, err := s.Conversation(ctx, cv.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	check("Conversation", gotCv, cv)
	gotCvs, err := s.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("Conversations", gotCvs, []core.Conversation{cv})
	gotCvs, err = s.ConversationPage(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	// Every field set makes it hidden (IsHidden), which the page leaves out.
	check("ConversationPage", len(gotCvs), 0)
	gotUsers, err := s.Users(ctx, []string{u.UserID})
	if err != nil {
		t.Fatal(err)
	}
	check("Users", gotUsers, []core.User{u})
	gotUsers, err = s.Friends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("Friends", gotUsers, []core.User{u})
	gotGroups, err := s.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("Groups", gotGroups, []core.Group{g})
	gotMembers, err := s.GroupMembers(ctx, gm.GroupID)
	if err != nil {
		t.Fatal(err)
	}
	check("GroupMembers", gotMembers, []core.GroupMember{gm})
	gotApplications, err := s.GroupApplications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("GroupApplications", gotApplications, []core.GroupApplication{ga})
	gotOutbox, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("Outbox", gotOutbox, []core.OutboxEntry{e})
	gotRequests, err := s.FriendRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("FriendRequests", gotRequests, []core.FriendRequest{fr})
	gotUsers, err = s.BlackList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("BlackList", gotUsers, []core.User{u})
}

// TestRecordAppendersMatchJSON checks that the hand-made appenders write
// what json.Marshal writes for the record types, field for field, including
// strings that need escaping and invalid UTF-8.
func TestRecordAppendersMatchJSON(t *testing.T) {
	odd := []string{"", "plain", `q"uo\te`, "ctl\x00\x01\x1f\n\r\t", "<b>&amp;</b>", "é中😀\u2028\u2029", "bad\xff\xfeutf8", "\x7f"}
	n := 0
	for i, s := range odd {
		var m core.Message
		fillEvery(t, reflect.ValueOf(&m).Elem(), &n)
		m.Text, m.ClientMsgID, m.ConversationID = s, "id"+s, "c"+s
		var cv core.Conversation
		fillEvery(t, reflect.ValueOf(&cv).Elem(), &n)
		cv.ShowName, cv.DraftText = s, s
		if i%2 == 0 {
			// The other shapes: unsent, no content, no error, not
			// pinned, not removed, no latest message.
			m.Seq, m.Content, m.ErrorCode = 0, nil, ""
			cv.IsPinned, cv.Removed, cv.LatestMessage = false, false, nil
		}
		sameJSON(t, "message", appendMessageRecord(nil, &m, true), newMsgRecord(&m))
		sameJSON(t, "conversation", appendConversationRecord(nil, &cv), newConvRecord(&cv))
	}
}

func sameJSON(t *testing.T, what string, got []byte, rec any) {
	t.Helper()
	want, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: appender wrote invalid JSON %s: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
	// JavaScript must parse it to the same value as json.Marshal's text.
	parse := js.Global().Get("JSON")
	if a, b := parse.Call("stringify", parseJSON(got)).String(), parse.Call("stringify", parseJSON(want)).String(); a != b {
		t.Errorf("%s: JSON.parse differs:\n got %s\nwant %s", what, a, b)
	}
}

// TestRecordDecodersReadManyRecords reads lists of 150 records (a
// conversation list, a history page) back as they were written.
func TestRecordDecodersReadManyRecords(t *testing.T) {
	ctx := context.Background()
	s := open(t, DBName(prefix(t), "u"), Config{})
	n := 0
	var cv core.Conversation
	fillEvery(t, reflect.ValueOf(&cv).Elem(), &n)
	var m core.Message
	fillEvery(t, reflect.ValueOf(&m).Elem(), &n)
	ch := &core.Changes{}
	for i := 0; i < 150; i++ {
		c := cloneConv(cv)
		c.ConversationID = fmt.Sprintf("c%04d", i)
		ch.Conversations = append(ch.Conversations, c)
		mm := m
		mm.ClientMsgID, mm.Seq = fmt.Sprintf("m%04d", i), int64(i+1)
		ch.Messages = append(ch.Messages, mm)
	}
	if err := s.Apply(ctx, ch); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	gotCvs, err := s.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotCvs, ch.Conversations) {
		t.Errorf("Conversations differ: got %d, first %+v; want %+v", len(gotCvs), gotCvs[0], ch.Conversations[0])
	}
	gotMsgs, err := s.MessagesBySeq(ctx, m.ConversationID, 1, 150)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMsgs, ch.Messages) {
		t.Errorf("MessagesBySeq differ: got %d, first %+v; want %+v", len(gotMsgs), gotMsgs[0], ch.Messages[0])
	}
}

func cloneConv(c core.Conversation) core.Conversation {
	if c.LatestMessage != nil {
		m := *c.LatestMessage
		c.LatestMessage = &m
	}
	return c
}
