package core_test

import (
	"encoding/json"
	"testing"

	"parley/core"
)

// TestContractShapes checks the JSON of every type the JS layer hands to
// apps against the contract's section 3.
func TestContractShapes(t *testing.T) {
	cases := []struct {
		name string
		v    any
		keys []string
	}{
		{"User", core.User{}, []string{"userID", "nickname", "faceURL"}},
		{"Group", core.Group{}, []string{"groupID", "name", "faceURL", "ownerUserID", "memberCount"}},
		{"Message", core.Message{}, []string{"clientMsgID", "serverMsgID", "conversationID", "seq", "sendID", "recvID",
			"groupID", "sessionType", "contentType", "text", "sendTime", "status"}},
		{"Conversation", core.Conversation{}, []string{"conversationID", "sessionType", "userID", "groupID", "showName",
			"faceURL", "latestMessage", "unreadCount", "isPinned", "draftText", "updatedAt"}},
		{"History", core.History{}, []string{"messages", "isEnd"}},
		{"connectionStateChanged", core.ConnectionStateChanged{State: core.ConnConnected}.EventPayload(), []string{"state"}},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, k := range c.keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s JSON %s lacks %q", c.name, b, k)
			}
		}
	}
	b, _ := json.Marshal(core.Conversation{})
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["latestMessage"] != nil {
		t.Errorf("empty conversation's latestMessage = %v, want null", m["latestMessage"])
	}
	names := map[string]core.Event{
		"connectionStateChanged":  core.ConnectionStateChanged{},
		"newMessages":             core.NewMessages{},
		"conversationsChanged":    core.ConversationsChanged{},
		"totalUnreadCountChanged": core.TotalUnreadCountChanged{},
		"syncProgress":            core.SyncProgressed{},
	}
	for name, ev := range names {
		if ev.EventName() != name {
			t.Errorf("%T.EventName() = %q, want %q", ev, ev.EventName(), name)
		}
	}
	if p := (core.TotalUnreadCountChanged{Count: 3}).EventPayload(); p != int64(3) {
		t.Errorf("totalUnreadCountChanged payload = %#v, want a number", p)
	}
	if p, ok := (core.NewMessages{Messages: []core.Message{{}}}).EventPayload().([]core.Message); !ok || len(p) != 1 {
		t.Errorf("newMessages payload = %#v, want Message[]", p)
	}
}
