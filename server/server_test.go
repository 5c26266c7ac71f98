package server_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"parley/server"
	"parley/server/bus"
	"parley/server/store/sqlite"
)

// TestNewRejectsIncompleteConfig: a server needs a store and an admin
// secret; the kinds of store and bus are cmd/parleyd's choice and tested
// there.
func TestNewRejectsIncompleteConfig(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"))
	require.NoError(t, err)
	defer st.Close()
	for name, cfg := range map[string]server.Config{
		"no store":        {AdminSecret: "x", BcryptCost: bcrypt.MinCost},
		"no admin secret": {Store: st, BcryptCost: bcrypt.MinCost},
	} {
		_, err := server.New(t.Context(), cfg)
		assert.Error(t, err, name)
	}
	// A bus serves one server: a second one cannot subscribe to it.
	b := bus.NewLocal()
	srv, err := server.New(t.Context(), server.Config{Store: st, Bus: b, AdminSecret: "x", BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	defer srv.Shutdown(t.Context())
	_, err = server.New(t.Context(), server.Config{Store: st, Bus: b, AdminSecret: "x", BcryptCost: bcrypt.MinCost})
	assert.ErrorIs(t, err, bus.ErrSubscribed)
}
