package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// load is a steady, bounded write load: workers that each create a contact, pause, and repeat.
type load struct {
	mu      sync.Mutex
	answers []answer
	ids     []string // contacts the service answered 201 for
	lost    []string // names of the contacts whose request got no answer at all
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startLoad(s *service, o owner, workers int, pause time.Duration) *load {
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				a, id := s.createContact(o, fmt.Sprintf("load %d-%d", w, n))
				l.mu.Lock()
				l.answers = append(l.answers, a)
				if id != "" {
					l.ids = append(l.ids, id)
				}
				if a.err != nil {
					l.lost = append(l.lost, fmt.Sprintf("load %d-%d", w, n))
				}
				l.mu.Unlock()
				time.Sleep(pause)
			}
		})
	}
	return l
}

// halt stops the workers and waits for their last requests.
func (l *load) halt() ([]answer, []string) {
	close(l.stop)
	l.wg.Wait()
	return l.answers, l.ids
}

// snapshot is what the load got so far.
func (l *load) snapshot() []answer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.answers)
}

// prober asks /readyz every interval.
type prober struct {
	load // reuses the bookkeeping
}

func startProber(s *service, interval time.Duration) *prober {
	p := &prober{load{stop: make(chan struct{})}}
	p.wg.Go(func() {
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(interval):
			}
			a := s.do(http.MethodGet, "/readyz", "", "", nil)
			p.mu.Lock()
			p.answers = append(p.answers, a)
			p.mu.Unlock()
		}
	})
	return p
}

// problemCode is the code of a problem+json answer.
func problemCode(a answer) string {
	var p struct{ Code string }
	_ = json.Unmarshal(a.body, &p)
	return p.Code
}

// assertUnavailable checks a 503: problem+json, a code, and a Retry-After in seconds.
func assertUnavailable(t *testing.T, a answer) {
	t.Helper()
	assert.True(t, strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json"), "%v", a)
	assert.NotEmpty(t, problemCode(a), "%v", a)
	secs, err := strconv.Atoi(a.header.Get("Retry-After"))
	assert.True(t, err == nil && secs >= 1, "Retry-After %q: %v", a.header.Get("Retry-After"), a)
}

// assertStored checks that every contact the service answered 201 for is in the database.
func assertStored(t *testing.T, pg *cluster, db string, ids []string) {
	t.Helper()
	conn := pg.connect(t, db)
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM contacts WHERE id = ANY($1::uuid[])", ids).Scan(&n))
	assert.Equal(t, len(ids), n, "every write answered 2xx is in the database")
}

// lockedContact creates a contact in database crm and holds its row lock in a transaction of the
// test's own, until the test rolls it back.
func lockedContact(t *testing.T, pg *cluster, s *service, o owner) (string, pgx.Tx) {
	t.Helper()
	created, contact := s.createContact(o, "locked")
	require.NotEmpty(t, contact, "%v", created)
	ctx := context.Background()
	tx, err := pg.connect(t, "crm").Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE", contact)
	require.NoError(t, err)
	return contact, tx
}

// PostgreSQL stops (a crash, as far as the service can tell: every backend dies at once, some in
// the middle of a query) for 10 s under a steady write load. Every request gets a fast answer —
// 201 or 503 problem+json with Retry-After, never a 500, never no answer, never a hang — /readyz
// says 503, the service recovers by itself when PostgreSQL is back, and every write that was
// answered 201 is in the database.
func TestFault_DatabaseDownUnderLoad(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	s := runService(t, "DATABASE_URL="+pg.url("crm"))
	o := s.register(t)

	l := startLoad(s, o, 4, 20*time.Millisecond)
	probe := startProber(s, 200*time.Millisecond)
	time.Sleep(2 * time.Second)

	require.NoError(t, pg.stop("immediate"))
	down := time.Now()
	time.Sleep(10 * time.Second)
	restart := time.Now()
	require.NoError(t, pg.start(), pg.log())
	up := time.Now()

	// The service finds PostgreSQL again without a restart of its own.
	var recovered time.Time
	for deadline := time.Now().Add(20 * time.Second); recovered.IsZero() && time.Now().Before(deadline); {
		for _, a := range l.snapshot() {
			if a.start.After(up) && a.err == nil && a.status == http.StatusCreated {
				recovered = a.end
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	answers, ids := l.halt()
	readiness, _ := probe.halt()
	require.False(t, s.exited(), "the service kept running")
	require.False(t, recovered.IsZero(), "no write succeeded in the 20 s after PostgreSQL restarted")

	statuses := map[int]int{}
	var before, during, after int
	var slowest answer
	var outage []time.Duration
	for _, a := range answers {
		if a.took() > slowest.took() {
			slowest = a
		}
		if !assert.NoError(t, a.err, "every request gets an answer") {
			continue
		}
		statuses[a.status]++
		switch a.status {
		case http.StatusCreated:
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			assertUnavailable(t, a)
		default:
			t.Errorf("unexpected answer: %v", a)
		}
		switch {
		case a.end.Before(down) && a.status == http.StatusCreated:
			before++
		case a.start.After(down) && a.end.Before(restart):
			during++
			outage = append(outage, a.took())
			assert.Equal(t, http.StatusServiceUnavailable, a.status, "while PostgreSQL is down: %v", a)
		case a.start.After(recovered) && a.status == http.StatusCreated:
			after++
		}
	}
	require.NotEmpty(t, outage, "requests while PostgreSQL was down")
	slices.Sort(outage)
	t.Logf("%d requests: %v; %d created before the outage, %d answered during it (median %s, max %s), %d created after; "+
		"writes back %s after PostgreSQL (restarted in %s); slowest request %s",
		len(answers), statuses, before, during, outage[len(outage)/2], outage[len(outage)-1], after,
		recovered.Sub(up).Round(time.Millisecond), up.Sub(restart).Round(time.Millisecond), slowest.took().Round(time.Millisecond))
	assert.Less(t, slowest.took(), 5*time.Second, "no request hangs: %v", slowest)
	assert.Positive(t, before)
	assert.Greater(t, during, 20, "the load went on during the outage")
	assert.Less(t, outage[len(outage)/2], time.Second, "503s come fast")
	assert.Positive(t, after)
	for _, a := range answers[len(answers)-8:] {
		assert.Equal(t, http.StatusCreated, a.status, "the service is healthy again: %v", a)
	}

	var ready503, readyAfter int
	for _, a := range readiness {
		require.NoError(t, a.err)
		switch {
		case a.start.After(down) && a.end.Before(restart):
			assert.Equal(t, http.StatusServiceUnavailable, a.status, "/readyz while PostgreSQL is down")
			assertUnavailable(t, a)
			ready503++
		case a.start.After(recovered):
			assert.Equal(t, http.StatusOK, a.status, "/readyz after the recovery")
			readyAfter++
		}
	}
	assert.Positive(t, ready503)
	assert.Positive(t, readyAfter)

	assertStored(t, pg, "crm", ids)
}

// SIGTERM while requests are in flight (three of them waiting on a row lock the test holds, and a
// steady write load): the service stops accepting, finishes every request it has, and exits 0.
func TestFault_SIGTERMDrainsInFlightRequests(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	s := runService(t, "DATABASE_URL="+pg.url("crm"), "DB_LOCK_TIMEOUT=30s")
	o := s.register(t)
	contact, tx := lockedContact(t, pg, s, o)
	ctx := context.Background()

	l := startLoad(s, o, 2, 20*time.Millisecond)
	const waiting = 3
	patched := make(chan answer, waiting)
	for i := range waiting {
		go func() {
			patched <- s.do(http.MethodPatch, "/api/v1/contacts/"+contact, o.token, o.org, map[string]string{"name": fmt.Sprint("renamed ", i)})
		}()
	}
	watcher := pg.connect(t, "crm")
	require.Eventually(t, func() bool {
		var n int
		err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = 'crm' AND wait_event_type = 'Lock'").Scan(&n)
		return err == nil && n == waiting
	}, 10*time.Second, 50*time.Millisecond, "the PATCH requests wait on the row lock")
	time.Sleep(300 * time.Millisecond)

	sigterm := time.Now()
	s.signal(syscall.SIGTERM)
	time.Sleep(time.Second)
	require.False(t, s.exited(), "the service waits for its in-flight requests")
	require.NoError(t, tx.Rollback(ctx))

	for range waiting {
		select {
		case a := <-patched:
			assert.NoError(t, a.err, "an in-flight request gets its answer")
			assert.Equal(t, http.StatusOK, a.status, "%v", a)
		case <-time.After(15 * time.Second):
			t.Fatal("an in-flight PATCH got no answer")
		}
	}
	code, err := s.wait(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code, "exit code")
	assert.True(t, s.logged("stopped"), "a clean shutdown")
	exited := time.Now()
	answers, ids := l.halt()

	refused := 0
	for _, a := range answers {
		switch {
		case a.err != nil:
			// After SIGTERM the listener is closed: a request that was never accepted may fail to
			// connect or find its idle connection closed (also one the client began a moment
			// before SIGTERM but sent after). It never reached a handler: checked below, by its
			// contact not being stored.
			assert.True(t, a.end.After(sigterm), "no transport error before SIGTERM: %v", a)
			refused++
		case a.status == http.StatusServiceUnavailable:
			assertUnavailable(t, a)
		default:
			assert.Equal(t, http.StatusCreated, a.status, "%v", a)
		}
	}
	t.Logf("%d writes answered, %d not accepted after SIGTERM; exit %s after SIGTERM", len(answers)-refused, refused,
		exited.Sub(sigterm).Round(time.Millisecond))
	assertStored(t, pg, "crm", ids)
	var unanswered int
	require.NoError(t, pg.connect(t, "crm").QueryRow(context.Background(),
		"SELECT count(*) FROM contacts WHERE name = ANY($1)", l.lost).Scan(&unanswered))
	assert.Zero(t, unanswered, "a request that got no answer had no effect either")
}

// Replicas that start at the same moment on a database that does not exist yet all come up: one
// creates the database, the other finds it (whichever error PostgreSQL gave for the lost race), and
// both migrate (serialised by the migration lock) and serve. Three rounds, on three new databases.
func TestFault_ReplicasStartingTogetherOnAMissingDatabase(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	for round := range 3 {
		url := pg.url(fmt.Sprintf("crm_replicas_%d", round))
		a, aAddr := startService(t, "DATABASE_URL="+url)
		b, bAddr := startService(t, "DATABASE_URL="+url)
		a.listening(aAddr, 60*time.Second)
		b.listening(bAddr, 60*time.Second)
		for _, s := range []*service{a, b} {
			r := s.readyz(http.StatusOK, 10*time.Second)
			require.NoError(t, r.err)
			require.Equal(t, http.StatusOK, r.status, "round %d: %v", round, r)
		}
		a.register(t)
		b.register(t)
		for _, s := range []*service{a, b} {
			s.signal(syscall.SIGTERM)
			code, err := s.wait(20 * time.Second)
			require.NoError(t, err)
			require.Equal(t, 0, code)
		}
	}
}

// Pool settings in DATABASE_URL, as the README recommends, start the service (on a database it
// creates) and are the pool's: pool_min_conns connections are opened.
func TestFault_PoolSettingsInTheDatabaseURL(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	s := runService(t, "DATABASE_URL="+pg.url("crm_pool", "pool_max_conns=20", "pool_min_conns=3"))
	r := s.readyz(http.StatusOK, 10*time.Second)
	require.Equal(t, http.StatusOK, r.status, "%v", r)
	s.register(t)
	watcher := pg.connect(t, "postgres")
	assert.Eventually(t, func() bool {
		var n int
		err := watcher.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = 'crm_pool' AND backend_type = 'client backend'").Scan(&n)
		return err == nil && n >= 3
	}, 10*time.Second, 100*time.Millisecond, "pool_min_conns connections")
}

// A request that waits on a row lock longer than DB_LOCK_TIMEOUT ends with 503 and Retry-After: 1,
// instead of holding a pool connection for as long as the lock lasts; once the lock is gone, the
// same request succeeds.
func TestFault_LockWaitPastDBLockTimeout(t *testing.T) {
	t.Parallel()
	pg := newCluster(t)
	s := runService(t, "DATABASE_URL="+pg.url("crm"), "DB_LOCK_TIMEOUT=300ms")
	o := s.register(t)
	contact, tx := lockedContact(t, pg, s, o)

	a := s.do(http.MethodPatch, "/api/v1/contacts/"+contact, o.token, o.org, map[string]string{"name": "renamed"})
	require.NoError(t, a.err)
	assert.Equal(t, http.StatusServiceUnavailable, a.status, "%v", a)
	assertUnavailable(t, a)
	assert.Equal(t, "1", a.header.Get("Retry-After"))
	assert.Less(t, a.took(), 2*time.Second, "%v", a)

	require.NoError(t, tx.Rollback(context.Background()))
	a = s.do(http.MethodPatch, "/api/v1/contacts/"+contact, o.token, o.org, map[string]string{"name": "renamed"})
	assert.Equal(t, http.StatusOK, a.status, "%v", a)
}
