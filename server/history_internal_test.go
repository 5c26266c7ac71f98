package server

import "testing"

// TestReadAccessUpTo: a member's ranges are left as asked; a removed
// member's stop at their removal, and a range wholly past it reads nothing.
func TestReadAccessUpTo(t *testing.T) {
	member := readAccessInfo{minSeq: 1}
	removed := readAccessInfo{minSeq: 1, removed: true, maxSeq: 5}
	joinedLate := readAccessInfo{minSeq: 4, removed: true, maxSeq: 5}
	for _, tc := range []struct {
		name     string
		ra       readAccessInfo
		from, to int64
		wantTo   int64
		wantOK   bool
	}{
		{"member, open range", member, 1, 0, 0, true},
		{"member, bounded", member, 3, 9, 9, true},
		{"removed, open range stops at the removal", removed, 1, 0, 5, true},
		{"removed, beyond the removal is cut", removed, 2, 9, 5, true},
		{"removed, within", removed, 2, 4, 4, true},
		{"removed, the removal alone", removed, 5, 5, 5, true},
		{"removed, wholly past the removal", removed, 6, 0, 5, false},
		{"removed, past it, bounded", removed, 6, 9, 5, false},
		{"removed, before they could read", joinedLate, 1, 3, 3, false},
		{"removed with nothing to read", readAccessInfo{minSeq: 1, removed: true}, 1, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to, ok := tc.ra.upTo(tc.from, tc.to)
			if to != tc.wantTo || ok != tc.wantOK {
				t.Errorf("upTo(%d, %d) = %d, %v; want %d, %v", tc.from, tc.to, to, ok, tc.wantTo, tc.wantOK)
			}
		})
	}
}
