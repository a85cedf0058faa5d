package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/bench"
	"github.com/minicrm/crm/internal/platform"
)

// closedResult is one closed-loop pass.
type closedResult struct {
	Workers  int           `json:"workers"`
	Seconds  float64       `json:"seconds"`
	Count    int64         `json:"count"`
	Errors   int64         `json:"errors"`
	RPS      float64       `json:"rps"`
	Latency  bench.Summary `json:"latency"`
	FirstErr string        `json:"first_error,omitempty"`
}

// String is the result's line in the printed report.
func (r closedResult) String() string {
	return fmt.Sprintf("  %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d", r.RPS, r.Latency.P50, r.Latency.P99, r.Errors)
}

// closedLoop runs fn in workers goroutines back to back: warm-up first, then dur measured. A call
// counts when it completes inside the measured window.
func closedLoop(ctx context.Context, workers int, warmup, dur time.Duration, fn func(ctx context.Context, worker, i int) error) closedResult {
	start := time.Now()
	mstart, end := start.Add(warmup), start.Add(warmup+dur)
	var (
		mu       sync.Mutex
		all      = bench.NewHistogram()
		errs     int64
		firstErr string
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			h := bench.NewHistogram()
			var myErrs int64
			var myFirst string
			for i := 0; ; i++ {
				t := time.Now()
				if !t.Before(end) || ctx.Err() != nil {
					break
				}
				err := fn(ctx, w, i)
				done := time.Now()
				if done.Before(mstart) || !done.Before(end) {
					continue
				}
				if err != nil {
					myErrs++
					if myFirst == "" {
						myFirst = err.Error()
					}
					continue
				}
				bench.Record(h, done.Sub(t))
			}
			mu.Lock()
			all.Merge(h)
			errs += myErrs
			if firstErr == "" {
				firstErr = myFirst
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	secs := dur.Seconds()
	r := closedResult{Workers: workers, Seconds: secs, Count: all.TotalCount(), Errors: errs, FirstErr: firstErr}
	r.RPS = float64(r.Count) / secs
	r.Latency = bench.Summarize("list", all, errs, nil, secs)
	return r
}

// pick gives worker w's i-th user: every worker walks the same users, offset from the others, so
// the ceiling and the service pass ask the same organizations in the same proportions.
func pick(users []*loggedUser, workers, w, i int) *loggedUser {
	return users[(w+i*workers)%len(users)]
}

// captured is one statement of the generated queries, with its arguments.
type captured struct {
	sql  string
	args []any
}

// captureDB is a db.DBTX that runs nothing: it records the statement and arguments a generated
// query function would send, so that the ceiling sends exactly the service's SQL.
type captureDB struct{ last captured }

var errCaptured = errors.New("captured")

func (c *captureDB) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.last = captured{sql, args}
	return pgconn.CommandTag{}, errCaptured
}

func (c *captureDB) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.last = captured{sql, args}
	return nil, errCaptured
}

func (c *captureDB) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	c.last = captured{sql, args}
	return errRow{}
}

type errRow struct{}

func (errRow) Scan(...any) error { return errCaptured }

// listParams are the page query's parameters of GET /api/v1/contacts?page=1&page_size=20 for an
// owner (no owner filter), as internal/crm and internal/httpapi set them: created_at, newest first
// (ListContactsByCreatedAtDesc), from the start, one row more than the page (it tells whether a
// next page exists).
func listParams(org uuid.UUID) db.ListContactsByCreatedAtDescParams {
	return db.ListContactsByCreatedAtDescParams{OrganizationID: org, PageOffset: 0, PageLimit: 21}
}

// ceilingStatements captures, per user, the two statements of the authenticated list path.
func ceilingStatements(users []*loggedUser) [][2]captured {
	out := make([][2]captured, len(users))
	for i, u := range users {
		var c captureDB
		q := db.New(&c)
		_, _ = q.ResolveMembership(context.Background(), db.ResolveMembershipParams{OrganizationID: u.Org.ID, SessionID: u.SessionID, UserID: u.UserID})
		out[i][0] = c.last
		_, _ = q.ListContactsByCreatedAtDesc(context.Background(), listParams(u.Org.ID))
		out[i][1] = c.last
	}
	return out
}

// runCeiling: the exact SQL of the authenticated GET /api/v1/contacts (page 1, size 20): the
// membership and session check (ResolveMembership), then the page query
// (ListContactsByCreatedAtDesc) with the service's parameters, run as the service runs them
// (platform.Query): statements prepared and cached per connection, and the page query, an
// unfiltered keyset list (platform.GenericUnlessFilteredMarker), with its generic plan forced in
// the same round trip. By default the rows are read but not decoded into Go values (the
// database's work, as pgbench measures it); -ceiling-decode calls the generated functions, which
// decode them as the service does.
func runCeiling(ctx context.Context, pool *pgxpool.Pool, users []*loggedUser, o options) (closedResult, error) {
	q := platform.NewDB(pool).Queries() // the service's query modes and plans
	stmts := ceilingStatements(users)
	decoded := func(ctx context.Context, w, i int) error {
		u := pick(users, o.concurrency, w, i)
		m, err := q.ResolveMembership(ctx, db.ResolveMembershipParams{OrganizationID: u.Org.ID, SessionID: u.SessionID, UserID: u.UserID})
		if err != nil {
			return fmt.Errorf("resolve membership: %w", err)
		}
		if m.Role == nil {
			return errors.New("resolve membership: not a member")
		}
		rows, err := q.ListContactsByCreatedAtDesc(ctx, listParams(u.Org.ID))
		if err != nil {
			return fmt.Errorf("list contacts: %w", err)
		}
		if want := min(21, u.Org.Contacts); len(rows) != want {
			return fmt.Errorf("list contacts: %d rows, want %d", len(rows), want)
		}
		return nil
	}
	raw := func(ctx context.Context, w, i int) error {
		k := (w + i*o.concurrency) % len(users)
		u, st := users[k], stmts[k]
		rows, err := platform.Query(ctx, pool, st[0].sql, st[0].args...)
		if err != nil {
			return fmt.Errorf("resolve membership: %w", err)
		}
		member := false
		for rows.Next() {
			member = rows.RawValues()[0] != nil
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("resolve membership: %w", err)
		}
		if !member {
			return errors.New("resolve membership: not a member")
		}
		rows, err = platform.Query(ctx, pool, st[1].sql, st[1].args...)
		if err != nil {
			return fmt.Errorf("list contacts: %w", err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list contacts: %w", err)
		}
		if want := min(21, u.Org.Contacts); n != want {
			return fmt.Errorf("list contacts: %d rows, want %d", n, want)
		}
		return nil
	}
	fn := raw
	if o.ceilingDecode {
		fn = decoded
	}
	// One round of each first: a wrong parameter fails now, not as a flood of errors.
	if err := decoded(ctx, 0, 0); err != nil {
		return closedResult{}, err
	}
	if err := raw(ctx, 0, 0); err != nil {
		return closedResult{}, err
	}
	return closedLoop(ctx, o.concurrency, o.warmup, o.duration, fn), nil
}

func runServiceList(ctx context.Context, client *http.Client, base string, users []*loggedUser, o options) (closedResult, error) {
	target := base + "/api/v1/contacts?page=1&page_size=20"
	fn := func(ctx context.Context, w, i int) error {
		u := pick(users, o.concurrency, w, i)
		return do(ctx, client, request{method: http.MethodGet, url: target, user: u})
	}
	if err := probeList(ctx, client, target, users[0]); err != nil {
		return closedResult{}, err
	}
	return closedLoop(ctx, o.concurrency, o.warmup, o.duration, fn), nil
}

// runHealthz is the HTTP floor: GET /healthz closed loop, no token, no SQL.
func runHealthz(ctx context.Context, client *http.Client, base string, o options) (closedResult, error) {
	target := base + "/healthz"
	fn := func(ctx context.Context, _, _ int) error {
		return do(ctx, client, request{method: http.MethodGet, url: target})
	}
	if err := fn(ctx, 0, 0); err != nil {
		return closedResult{}, fmt.Errorf("healthz: %w", err)
	}
	r := closedLoop(ctx, o.concurrency, o.warmup, o.duration, fn)
	r.Latency.Endpoint = "healthz"
	return r, nil
}

// probeList checks once that the service answers the list pass with the page the ceiling reads.
func probeList(ctx context.Context, client *http.Client, target string, u *loggedUser) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", u.Bearer)
	req.Header.Set("X-Organization-Id", u.OrgHeader)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("list probe: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var page struct {
		Items []json.RawMessage `json:"items"`
		Total int               `json:"total"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("list probe: %s: %s", resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return fmt.Errorf("list probe: %w", err)
	}
	if want := min(20, u.Org.Contacts); len(page.Items) != want || page.Total != u.Org.Contacts {
		return fmt.Errorf("list probe: %d items of %d, want %d of %d", len(page.Items), page.Total, want, u.Org.Contacts)
	}
	return nil
}

type request struct {
	endpoint string
	method   string
	url      string
	body     []byte
	user     *loggedUser // nil: no credentials
}

// statusError is a response outside 2xx.
type statusError int

func (e statusError) Error() string { return strconv.Itoa(int(e)) }

func do(ctx context.Context, client *http.Client, r request) error {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return err
	}
	if r.user != nil {
		req.Header.Set("Authorization", r.user.Bearer)
		req.Header.Set("X-Organization-Id", r.user.OrgHeader)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp.StatusCode)
	}
	return nil
}

// errorKind names an error for the table: the status, "timeout", "dropped" or "transport".
func errorKind(err error) string {
	var se statusError
	switch {
	case errors.Is(err, errDropped):
		return "dropped"
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timeout"
	default:
		return "transport"
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// mixedResult is one open-loop run at a fixed rate.
type mixedResult struct {
	Rate      int             `json:"rate"`
	Seconds   float64         `json:"seconds"`
	Sent      int64           `json:"sent"`
	Dropped   int64           `json:"dropped"`
	Endpoints []bench.Summary `json:"endpoints"`
	All       bench.Summary   `json:"all"`
}

type endpointStats struct {
	mu     sync.Mutex
	h      *hdrhistogram.Histogram
	errors int64
	by     map[string]int
}

func (s *endpointStats) add(lat time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errors++
		s.by[errorKind(err)]++
		if errors.Is(err, errDropped) {
			return // never sent: no latency
		}
	}
	bench.Record(s.h, lat)
}

var errDropped = errors.New("dropped")

var (
	patchStages   = []string{"qualification", "proposal", "negotiation", "closed"}
	patchStatuses = []string{"new", "in_progress", "won", "lost"}
)

// mixedRequest builds one request of the named endpoint for a random logged-in owner.
func mixedRequest(name string, r *rand.Rand, base string, users []*loggedUser) request {
	u := users[r.IntN(len(users))]
	org := u.Org
	req := request{endpoint: name, method: http.MethodGet, user: u}
	switch name {
	case "list":
		pages := min(10, max(1, (org.Contacts+19)/20))
		req.url = fmt.Sprintf("%s/api/v1/contacts?page=%d&page_size=20", base, 1+r.IntN(pages))
	case "search":
		req.url = base + "/api/v1/contacts?page=1&page_size=20&search=" + url.QueryEscape(lastNames[r.IntN(len(lastNames))])
	case "get_deal":
		req.url = base + "/api/v1/deals/" + org.DealIDs[r.IntN(len(org.DealIDs))].String()
	case "create_deal":
		req.method, req.url = http.MethodPost, base+"/api/v1/deals"
		req.body = fmt.Appendf(nil, `{"contact_id":%q,"title":"Bench deal %d","amount":%d.50,"currency":"EUR"}`,
			org.ContactIDs[r.IntN(len(org.ContactIDs))].String(), r.IntN(1_000_000), 100+r.IntN(10000))
	case "patch_deal":
		req.method = http.MethodPatch
		req.url = base + "/api/v1/deals/" + org.DealIDs[r.IntN(len(org.DealIDs))].String()
		req.body = fmt.Appendf(nil, `{"stage":%q,"status":%q}`, patchStages[r.IntN(len(patchStages))], patchStatuses[r.IntN(len(patchStatuses))])
	case "summary":
		req.url = base + "/api/v1/analytics/deals/summary"
	case "funnel":
		req.url = base + "/api/v1/analytics/deals/funnel"
	}
	return req
}

// runMixed sends the weighted mix open-loop: request i is due at start + i/rate whatever happened
// to the ones before, and its latency runs from that due time (no coordinated omission). At most
// o.maxInflight are in flight; a request due past that is dropped and counted as an error.
func runMixed(ctx context.Context, client *http.Client, base string, users []*loggedUser, ws []bench.Weight, o options, rate int, dur time.Duration) (mixedResult, error) {
	usable := make([]*loggedUser, 0, len(users))
	for _, u := range users {
		if len(u.Org.DealIDs) > 0 && len(u.Org.ContactIDs) > 0 {
			usable = append(usable, u)
		}
	}
	if len(usable) == 0 {
		return mixedResult{}, errors.New("mixed: no logged-in organization has deals")
	}
	picker := bench.NewPicker(ws)
	r := rand.New(rand.NewPCG(o.seed, uint64(rate)))
	stats := map[string]*endpointStats{}
	for _, e := range bench.Endpoints {
		stats[e] = &endpointStats{h: bench.NewHistogram(), by: map[string]int{}}
	}
	interval := time.Second / time.Duration(rate)
	n := int64(dur / interval)
	sem := make(chan struct{}, o.maxInflight)
	var (
		wg      sync.WaitGroup
		sent    int64
		dropped atomic.Int64
	)
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				wg.Wait()
				return mixedResult{}, ctx.Err()
			}
		}
		req := mixedRequest(picker.Pick(r), r, base, usable)
		st := stats[req.endpoint]
		select {
		case sem <- struct{}{}:
		default:
			dropped.Add(1)
			st.add(0, errDropped)
			continue
		}
		sent++
		wg.Go(func() {
			defer func() { <-sem }()
			err := do(ctx, client, req)
			st.add(time.Since(due), err)
		})
	}
	wg.Wait()
	secs := dur.Seconds()
	res := mixedResult{Rate: rate, Seconds: secs, Sent: sent, Dropped: dropped.Load()}
	all := bench.NewHistogram()
	var allErrs int64
	allBy := map[string]int{}
	for _, w := range ws {
		if w.Weight == 0 {
			continue
		}
		st := stats[w.Name]
		res.Endpoints = append(res.Endpoints, bench.Summarize(w.Name, st.h, st.errors, st.by, secs))
		all.Merge(st.h)
		allErrs += st.errors
		for k, v := range st.by {
			allBy[k] += v
		}
	}
	res.All = bench.Summarize("all", all, allErrs, allBy, secs)
	return res, nil
}
