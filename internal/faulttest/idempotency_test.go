package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A client that retries its POSTs with the same Idempotency-Key, through a kill -9 of the service
// (a new process takes over) and a PostgreSQL crash, never creates anything twice: every request
// it retried after losing the answer is either replayed or run once. Issue 10 measured, before
// the keys, that requests which answered 500 or nothing at all had committed.
func TestFault_RetriesWithIdempotencyKeysNeverDuplicate(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	env := []string{"DATABASE_URL=" + pg.url("crm"), "JWT_SECRET_KEY=" + testSecret()} // one secret: tokens outlive the process
	first := runService(t, env...)
	o := first.register(t)
	var current atomic.Pointer[service]
	current.Store(first)

	type outcome struct {
		name     string
		attempts int
		replayed bool
	}
	var (
		mu        sync.Mutex
		created   []outcome
		lostFirst int // requests whose first attempt got no answer or a 5xx
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("retried %d-%d", w, n)
				key := http.Header{"Idempotency-Key": {uuid.NewString()}}
				for attempt := 1; ; attempt++ {
					a := current.Load().doWith(http.MethodPost, "/api/v1/contacts", o.token, o.org, map[string]string{"name": name}, key)
					if a.err == nil && a.status == http.StatusCreated {
						mu.Lock()
						created = append(created, outcome{name, attempt, a.header.Get("Idempotent-Replayed") == "true"})
						mu.Unlock()
						break
					}
					retryable := a.err != nil || a.status >= 500 || a.status == http.StatusTooManyRequests ||
						(a.status == http.StatusConflict && problemCode(a) == "idempotency_key_in_use")
					if !retryable {
						t.Errorf("%s: %v", name, a)
						return
					}
					if attempt == 1 {
						mu.Lock()
						lostFirst++
						mu.Unlock()
					}
					if attempt > 400 {
						t.Errorf("%s: still no answer after %d attempts: %v", name, attempt, a)
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}

	time.Sleep(2 * time.Second)
	require.NoError(t, first.cmd.Process.Kill(), "kill -9 by pid")
	_, _ = first.wait(10 * time.Second)
	current.Store(runService(t, env...)) // the clients retry against the new process
	time.Sleep(2 * time.Second)
	require.NoError(t, pg.stop("immediate"))
	time.Sleep(3 * time.Second)
	require.NoError(t, pg.start(), pg.log())
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()

	conn := pg.connect(t, "crm")
	rows, err := conn.Query(context.Background(), "SELECT name, count(*) FROM contacts WHERE name LIKE 'retried %' GROUP BY name")
	require.NoError(t, err)
	stored := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		require.NoError(t, rows.Scan(&name, &n))
		stored[name] = n
	}
	require.NoError(t, rows.Err())

	var retried, replayed int
	for _, c := range created {
		assert.Equal(t, 1, stored[c.name], "%s is stored exactly once", c.name)
		delete(stored, c.name)
		if c.attempts > 1 {
			retried++
		}
		if c.replayed {
			replayed++
		}
	}
	assert.Empty(t, stored, "nothing stored that the client did not get a 201 for in the end")
	t.Logf("%d contacts created, %d after retries (%d first attempts lost), %d answered by a replay", len(created), retried, lostFirst, replayed)
	assert.Positive(t, retried, "the faults made the client retry")
}
