package crmsdk_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/platform"
)

// baseURL is the shared in-process server the Examples talk to (the tests start their own with
// apptest, whose client checks every exchange against openapi.yaml).
var baseURL string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests starts the service on a database of its own (crm_sdk_go_<random> on
// TEST_DATABASE_URL's server), runs the tests and examples, and drops the database.
func runTests(m *testing.M) int {
	ctx := context.Background()
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		server = apptest.DefaultDatabaseURL
	}
	name := "crm_sdk_go_" + randomHex(6)
	dbURL, err := withDatabase(server, name)
	if err != nil {
		return fail("TEST_DATABASE_URL: %v", err)
	}
	if err := platform.EnsureDatabase(ctx, dbURL); err != nil {
		return fail("create database: %v", err)
	}
	defer dropDatabase(server, name)

	pool, err := platform.Connect(ctx, dbURL)
	if err != nil {
		return fail("connect: %v", err)
	}
	defer pool.Close()
	// River's tables too: webhook pings and deliveries are River jobs.
	if err := platform.MigrateAll(ctx, pool); err != nil {
		return fail("migrate: %v", err)
	}
	e, _, err := apptest.NewHandler(pool, apptest.Options{})
	if err != nil {
		return fail("server: %v", err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	baseURL = srv.URL
	return m.Run()
}

func fail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "crmsdk tests: "+format+"\n", args...)
	return 1
}

// withDatabase returns the server URL raw with its database replaced by name.
func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		fmt.Fprintf(os.Stderr, "crmsdk tests: drop database %s: %v\n", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "crmsdk tests: drop database %s: %v\n", name, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var emailSeq atomic.Int64

// uniqueEmail returns an address no other test or example of this process uses (examples may run
// more than once with -count).
func uniqueEmail(name string) string {
	return fmt.Sprintf("%s.%d.%s@example.com", name, emailSeq.Add(1), randomHex(3))
}
