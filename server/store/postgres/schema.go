package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateSchema creates the schema called name in the database at dbURL
// (if missing) and returns dbURL with search_path set to it, so that a
// Store opened on the result keeps its tables there. Several deployments,
// or tests, can share one database this way.
func CreateSchema(ctx context.Context, dbURL, name string) (string, error) {
	if !schemaName.MatchString(name) {
		return "", fmt.Errorf("postgres: schema name %q: want lower-case letters, digits and _", name)
	}
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("postgres: invalid connection URL")
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(ctx)
	// An identifier cannot be a parameter; name is checked and quoted.
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("postgres: create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DropSchema drops the schema called name, and everything in it, from the
// database at dbURL.
func DropSchema(ctx context.Context, dbURL, name string) error {
	if !schemaName.MatchString(name) {
		return fmt.Errorf("postgres: schema name %q: want lower-case letters, digits and _", name)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("postgres: drop schema: %w", err)
	}
	return nil
}

// TestSchema creates a schema with a random name for one test and returns
// a URL that uses it; cleanup (a testing.TB's Cleanup) registers dropping
// it. Tests that share one database stay apart this way.
func TestSchema(ctx context.Context, dbURL string, cleanup func(func())) (string, error) {
	b := make([]byte, 8)
	rand.Read(b)
	name := "parley_test_" + hex.EncodeToString(b)
	u, err := CreateSchema(ctx, dbURL, name)
	if err != nil {
		return "", err
	}
	cleanup(func() { DropSchema(context.Background(), dbURL, name) })
	return u, nil
}
