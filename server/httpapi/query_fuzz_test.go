package httpapi_test

import (
	"errors"
	"net/url"
	"testing"

	"parley/protocol"
	"parley/server/httpapi"
)

// FuzzAdminQuery: any query string of an admin listing is either refused
// with invalid_argument or parsed into values within the limits.
func FuzzAdminQuery(f *testing.F) {
	for _, seed := range []string{
		"", "keyword=a&offset=10&count=200", "count=0", "offset=-1", "count=1e9", "keyword=%ff",
		"sendID=../x", "conversationID=si_a_b&sendID=a", "offset=100001", "keyword=%25_",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := httpapi.ParseAdminQuery(v)
		if err != nil {
			var pe *protocol.Error
			if !errors.As(err, &pe) || pe.Code != protocol.CodeInvalidArgument {
				t.Fatalf("error %v is not invalid_argument", err)
			}
			return
		}
		if q.Offset < 0 || q.Offset > httpapi.MaxAdminOffset || q.Count < 1 || q.Count > httpapi.MaxAdminCount || len(q.Keyword) > httpapi.MaxAdminKeyword {
			t.Fatalf("out of bounds: %+v", q)
		}
		if q.SendID != "" && !protocol.ValidID(q.SendID) {
			t.Fatalf("invalid sendID accepted: %q", q.SendID)
		}
	})
}
