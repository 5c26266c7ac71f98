package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"parley/core"
	"parley/protocol"
)

// testSearchMessages: SearchMessages matches a keyword case-insensitively
// as a substring of the text or the words of a content (any script, no
// word splitting), filters by conversation, senders, content types and
// time, orders newest first across conversations, pages while counting
// every match, leaves out unsent and deleted messages, follows rewrites
// and removals, and survives a reopen.
func testSearchMessages(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "search")
	const g = "sg_g1"
	m1 := msg(conv, 1, "m1")
	m1.Text = "Hello World"
	m2 := msg(conv, 2, "m2")
	m2.Text, m2.SendID = "say HELLO again", "bob"
	m3 := msg(g, 1, "m3")
	m3.Text, m3.SessionType, m3.GroupID, m3.SendTime = "会議は明日の午後です", protocol.SessionGroup, "g1", 1500
	m4 := msg(g, 2, "m4")
	m4.ContentType, m4.Text, m4.SendTime = protocol.ContentFile, "", 1600
	m4.Content = json.RawMessage(`{"url":"https://x/f","mimeType":"application/pdf","size":10,"fileName":"Quarterly-Report.PDF"}`)
	m5 := msg(g, 3, "m5")
	m5.ContentType, m5.Text, m5.SendTime = protocol.ContentImage, "", 1700
	m5.Content = json.RawMessage(`{"url":"https://x/i","mimeType":"image/png","size":1,"width":1,"height":1,"thumbnail":{"url":"https://x/t","width":1,"height":1}}`)
	unsent := msg(conv, 0, "u1")
	unsent.Text, unsent.Status, unsent.SendTime = "hello unsent", core.StatusSending, 0
	m6 := msg(conv, 5, "m6")
	m6.Text, m6.SendTime = "Costs (approx.) $5+tax\nper [item] | a\\b", 900
	gone := msg(conv, 3, "d1")
	gone.Text, gone.Deleted = "hello deleted", true
	apply(t, s, &core.Changes{Messages: []core.Message{m1, m2, m3, m4, m5, m6, unsent, gone}})

	search := func(q core.SearchQuery) (int, []string) {
		t.Helper()
		if q.Count == 0 {
			q.Count = 10
		}
		total, ms, err := s.SearchMessages(ctx, q)
		if err != nil {
			t.Fatalf("SearchMessages(%+v): %v", q, err)
		}
		return total, ids(ms)
	}
	check := func(name string, q core.SearchQuery, wantTotal int, want ...string) {
		t.Helper()
		total, got := search(q)
		if total != wantTotal || !eq(got, want) {
			t.Errorf("%s: got %d %v, want %d %v", name, total, got, wantTotal, want)
		}
	}
	check("keyword any case", core.SearchQuery{Keyword: "hElLo"}, 2, "m2", "m1")
	check("no keyword: every sent message, newest first", core.SearchQuery{}, 6, "m5", "m4", "m3", "m2", "m1", "m6")
	check("characters special to patterns", core.SearchQuery{Keyword: "(APPROX.) $5+"}, 1, "m6")
	check("after a line break", core.SearchQuery{Keyword: "[item] | a\\b"}, 1, "m6")
	check("not in the IDs", core.SearchQuery{Keyword: "si_alice"}, 0)
	check("CJK substring", core.SearchQuery{Keyword: "明日"}, 1, "m3")
	check("file name", core.SearchQuery{Keyword: "report.pdf"}, 1, "m4")
	check("no words in an image", core.SearchQuery{Keyword: "image"}, 0)
	check("conversation", core.SearchQuery{Keyword: "hello", ConversationID: g}, 0)
	check("senders", core.SearchQuery{SenderUserIDs: []string{"bob", "nobody"}}, 1, "m2")
	check("content types", core.SearchQuery{ContentTypes: []string{protocol.ContentImage, protocol.ContentFile}}, 2, "m5", "m4")
	check("time range inclusive", core.SearchQuery{StartTime: 1002, EndTime: 1600}, 3, "m4", "m3", "m2")
	check("page", core.SearchQuery{Offset: 1, Count: 2}, 6, "m4", "m3")
	check("page past the end", core.SearchQuery{Offset: 7, Count: 2}, 6)

	// Same send time: ClientMsgID descending decides.
	tie := msg(conv, 4, "m0")
	tie.SendTime = m5.SendTime
	// A rewrite (an edit) is searched by its new text; a removal is gone.
	m1.Text = "goodbye"
	apply(t, s, &core.Changes{Messages: []core.Message{tie, m1}, RemovedMessages: []string{"m2"}})
	check("rewritten and removed", core.SearchQuery{Keyword: "hello"}, 0)
	check("rewritten text", core.SearchQuery{Keyword: "GOODBYE"}, 1, "m1")
	check("ties", core.SearchQuery{Count: 2}, 6, "m5", "m0")
	// A message deleted for the user is left out once it is a tombstone.
	m3.Deleted = true
	apply(t, s, &core.Changes{Messages: []core.Message{m3}})
	check("deleted later", core.SearchQuery{Keyword: "明日"}, 0)

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, "search")
	check("after reopen", core.SearchQuery{Keyword: "quarterly"}, 1, "m4")
	check("after reopen, rewritten", core.SearchQuery{Keyword: "GOODBYE"}, 1, "m1")
	check("after reopen, removed and deleted", core.SearchQuery{Keyword: "hello"}, 0)
	check("after reopen, every one", core.SearchQuery{Count: 1}, 5, "m5")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, _, err := s.SearchMessages(ctx, core.SearchQuery{Count: 1}); !errors.Is(err, core.ErrStoreClosed) {
		t.Errorf("SearchMessages after Close: err = %v, want ErrStoreClosed", err)
	}
}

// testHiddenConversations: ConversationPage leaves hidden conversations
// out (and pages over the rest), the other readers keep them, and one
// that is no longer hidden comes back in its place.
func testHiddenConversations(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "hidden")
	cs := []core.Conversation{
		{ConversationID: "si_a_1", UpdatedAt: 30},
		{ConversationID: "si_a_2", UpdatedAt: 20, IsHidden: true, HiddenUntilSeq: 1},
		{ConversationID: "si_a_3", UpdatedAt: 10},
		{ConversationID: "si_a_4", UpdatedAt: 5, IsHidden: true, IsPinned: true, HiddenUntilSeq: 1},
	}
	apply(t, s, &core.Changes{Conversations: cs})
	if got := convIDs(must(s.ConversationPage(ctx, 0, 0)).of(t)); !eq(got, []string{"si_a_1", "si_a_3"}) {
		t.Errorf("ConversationPage = %v, want the two not hidden", got)
	}
	if got := convIDs(must(s.ConversationPage(ctx, 1, 1)).of(t)); !eq(got, []string{"si_a_3"}) {
		t.Errorf("ConversationPage(1, 1) = %v, want si_a_3", got)
	}
	if got := len(must(s.Conversations(ctx)).of(t)); got != 4 {
		t.Errorf("Conversations holds %d, want all 4", got)
	}
	if c := must(s.Conversation(ctx, "si_a_2")).of(t); !c.IsHidden || c.HiddenUntilSeq != 1 {
		t.Errorf("Conversation(si_a_2) = %+v, want it hidden", c)
	}
	cs[1].IsHidden, cs[1].MaxSeq = false, 1
	apply(t, s, &core.Changes{Conversations: cs[1:2]})
	if got := convIDs(must(s.ConversationPage(ctx, 0, 0)).of(t)); !eq(got, []string{"si_a_1", "si_a_2", "si_a_3"}) {
		t.Errorf("ConversationPage after its next message = %v", got)
	}
}
