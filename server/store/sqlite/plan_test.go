package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyncUsesVersionIndex guards the promise that a catch-up costs in
// proportion to the changes: the sync query must search the
// (user_id, version) index, not scan the user's conversations.
func TestSyncUsesVersionIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+changedQuery, "u", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	want := "SEARCH uc USING INDEX user_conversations_version (user_id=? AND version>?)"
	if !strings.Contains(plan.String(), want) {
		t.Fatalf("plan:\n%s\nwant %q", plan.String(), want)
	}
}

// TestDuplicateCheckUsesIndex guards the batch duplicate check: each key
// of the multi-row statement must be a search of the (send_id,
// client_msg_id) index, not a scan of the messages.
func TestDuplicateCheckUsesIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for k, size := range chunkSizes {
		args := make([]any, 2*size)
		for i := range args {
			args[i] = "x"
		}
		rows, err := s.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+stmtSQL(stmtDup+stmtID(k)), args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "\n")
		}
		rows.Close()
		if strings.Contains(plan.String(), "SCAN messages") || !strings.Contains(plan.String(), "SEARCH messages USING INDEX") {
			t.Fatalf("%d keys, plan:\n%s", size, plan.String())
		}
	}
}
