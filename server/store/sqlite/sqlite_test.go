package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"parley/server/store"
	"parley/server/store/sqlite"
	"parley/server/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestReopen checks that migrations run once and data survives a reopen.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &store.User{UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.User(ctx, "u1"); err != nil {
		t.Fatalf("user lost: %v", err)
	}
}

// TestUserChangeVersion: User.ChangeVersion is the highest version of the
// user's conversations. (To move into storetest once every store fills it.)
func TestUserChangeVersion(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"a", "b"} {
		if err := s.CreateUser(ctx, &store.User{UserID: id}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		m := store.NewMessage{ClientMsgID: string(rune('x' + i)), ServerMsgID: string(rune('x' + i)), SendID: "a", RecvID: "b",
			ContentType: "text", Content: []byte(`{"text":"t"}`), SendTime: 1}
		if _, err := s.AppendMessages(ctx, []store.NewMessage{m}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := s.User(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	changed, err := s.ChangedConversations(ctx, "b", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || u.ChangeVersion == 0 || u.ChangeVersion != changed[0].Version {
		t.Fatalf("change version %d, conversations %+v", u.ChangeVersion, changed)
	}
}
