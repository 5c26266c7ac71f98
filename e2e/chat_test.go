package e2e

import (
	"context"
	"strconv"
	"testing"

	"parley/core"
	"parley/protocol"
)

func TestTwoUsersChat(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	a.waitState(core.ConnConnected)
	b.waitState(core.ConnConnected)
	conv := protocol.SingleConversationID("alice", "bob")

	var want []string
	for i := 0; i < 5; i++ {
		txt := "a" + strconv.Itoa(i)
		a.send("bob", "", txt)
		want = append(want, txt)
		txt = "b" + strconv.Itoa(i)
		b.send("alice", "", txt)
		want = append(want, txt)
	}
	b.waitNew(5)
	a.waitNew(5)
	for _, d := range []*device{a, b} {
		h := d.history(conv)
		checkDense(t, d.userID, h)
		checkTexts(t, d.userID, h, want)
		cv := conversation(t, d, conv)
		if cv.LatestMessage == nil || cv.LatestMessage.Text != "b4" || cv.MaxSeq != 10 {
			t.Errorf("%s: conversation = %+v", d.userID, cv)
		}
		if cv.ShowName == "" || cv.SessionType != protocol.SessionSingle {
			t.Errorf("%s: conversation name/type = %q %q", d.userID, cv.ShowName, cv.SessionType)
		}
	}
	// b's last message is unread for a; a's own are never unread for a.
	if cv := conversation(t, a, conv); cv.UnreadCount != 1 {
		t.Errorf("alice unread = %d, want 1", cv.UnreadCount)
	}
	if err := a.c.MarkConversationAsRead(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.c.TotalUnreadCount(context.Background()); n != 0 {
		t.Errorf("alice total unread after read = %d", n)
	}
	// Announced exactly once each, in order.
	for _, d := range []*device{a, b} {
		got := d.newMessages()
		seen := map[string]bool{}
		for i, m := range got {
			if seen[m.ClientMsgID] {
				t.Errorf("%s: message %s announced twice", d.userID, m.ClientMsgID)
			}
			seen[m.ClientMsgID] = true
			if m.SendID == d.userID {
				t.Errorf("%s: own message announced as new: %+v", d.userID, m)
			}
			if i > 0 && got[i-1].Seq >= m.Seq {
				t.Errorf("%s: announced out of order: %d then %d", d.userID, got[i-1].Seq, m.Seq)
			}
		}
	}
	a.waitFor("conversation named after bob", func() bool {
		for _, ev := range a.events {
			if cc, ok := ev.(core.ConversationsChanged); ok {
				for _, cv := range cc.Conversations {
					if cv.ShowName == "Nick bob" {
						return true
					}
				}
			}
		}
		return false
	})
	checkConvEvents(t, a)
	checkConvEvents(t, b)
	list, err := a.c.ConversationList(context.Background(), 0, 10)
	if err != nil || len(list) != 1 || list[0].ConversationID != conv || list[0].ShowName != "Nick bob" {
		t.Errorf("ConversationList = %+v, %v", list, err)
	}
}
