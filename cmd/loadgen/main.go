// Command loadgen is the load tool of `make bench` (issue 9): it creates and seeds its own
// database, measures the PostgreSQL ceiling of the authenticated list-contacts path (the service's
// own two statements through pgx), then the real service binary over HTTP on the same request, and
// a mixed open-loop workload with HDR histograms per endpoint. It is not part of the service.
//
// Its last line reads: list-contacts ratio: 0.NN (service N req/s, ceiling M req/s).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/minicrm/crm/internal/bench"
	"github.com/minicrm/crm/internal/platform"
)

type options struct {
	adminURL      string
	dbName        string
	keepDB        bool
	orgs          int
	minContacts   int
	maxContacts   int
	seed          uint64
	concurrency   int
	ceilingConns  int
	ceilingDecode bool
	duration      time.Duration
	warmup        time.Duration
	rate          int
	mixedDuration time.Duration
	weights       string
	maxInflight   int
	timeout       time.Duration
	logins        int
	listMax       int
	healthz       bool
	deepPages     bool
	deepPage      int
	deepDuration  time.Duration
	analytics     bool
	analyticsConc int
	analyticsDur  time.Duration
	step          bool
	stepStart     int
	stepInc       int
	stepMax       int
	stepDuration  time.Duration
	slo           time.Duration
	binary        string
	build         bool
	out           string
	cpuProfile    string
}

func parseFlags() (options, []bench.Weight) {
	var o options
	flag.StringVar(&o.adminURL, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL URL of a database to connect to for CREATE/DROP DATABASE (loopback)")
	flag.StringVar(&o.dbName, "db", "crm_bench", "the bench database: dropped and recreated on every run")
	flag.BoolVar(&o.keepDB, "keep-db", true, "leave the bench database in place after the run (it is dropped at the start of the next)")
	flag.IntVar(&o.orgs, "orgs", 100, "organizations to seed")
	flag.IntVar(&o.minContacts, "min-contacts", 50, "contacts of the smallest organization")
	flag.IntVar(&o.maxContacts, "max-contacts", 20000, "contacts of the largest organization (Zipf sizes in between)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed of the data and the workload")
	flag.IntVar(&o.concurrency, "concurrency", 32, "closed-loop workers of both the ceiling and the service list-contacts pass")
	flag.IntVar(&o.ceilingConns, "ceiling-conns", 0, "pgx pool size of the ceiling pass (0: the concurrency, as pgbench -c would)")
	flag.BoolVar(&o.ceilingDecode, "ceiling-decode", false, "ceiling: decode the rows into Go values through the generated functions, as the service does (default: read them undecoded, the database's work, as pgbench would)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each closed-loop pass")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each closed-loop pass")
	flag.IntVar(&o.rate, "rate", 2000, "requests per second of the mixed open-loop run (0 skips it)")
	flag.DurationVar(&o.mixedDuration, "mixed-duration", 10*time.Second, "length of the mixed open-loop run")
	flag.StringVar(&o.weights, "weights", bench.DefaultWeights, "mixed workload weights, name=weight,...")
	flag.IntVar(&o.maxInflight, "max-inflight", 2000, "open loop: requests in flight at most; a send past it is dropped and counted as an error")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Second, "client timeout of one HTTP request")
	flag.IntVar(&o.logins, "logins", 0, "organizations whose owner logs in for the HTTP passes (0: all); logins are sequential")
	flag.IntVar(&o.listMax, "list-max-contacts", 200, "closed-loop list passes (ceiling and service) only over logged-in organizations of at most this many contacts, like the issue's page of 20 of 200 (0: all of them, big ones included)")
	flag.BoolVar(&o.healthz, "healthz", true, "also a closed-loop pass on GET /healthz: the HTTP stack's floor, without auth or SQL")
	flag.BoolVar(&o.deepPages, "deep-pages", true, "also the deep-pages pass (issue 13): page 1 and page -deep-page of the largest organization, by page number and by cursor, and page 1 of the one nearest 200 contacts")
	flag.IntVar(&o.deepPage, "deep-page", 500, "deep-pages pass: the far page (at most the largest organization's last)")
	flag.DurationVar(&o.deepDuration, "deep-duration", 5*time.Second, "deep-pages pass: length of each of its closed loops (-concurrency workers)")
	flag.BoolVar(&o.analytics, "analytics", true, "also the analytics pass: deals summary and funnel of the organization with the most deals, closed loop")
	flag.IntVar(&o.analyticsConc, "analytics-concurrency", 8, "analytics pass: closed-loop workers")
	flag.DurationVar(&o.analyticsDur, "analytics-duration", 5*time.Second, "analytics pass: length of each endpoint's closed loop")
	flag.BoolVar(&o.step, "step", false, "after the mixed run, step the rate up to find the highest with p99 <= -slo and no errors")
	flag.IntVar(&o.stepStart, "step-start", 500, "step mode: first rate")
	flag.IntVar(&o.stepInc, "step-inc", 250, "step mode: rate increment")
	flag.IntVar(&o.stepMax, "step-max", 6000, "step mode: last rate tried")
	flag.DurationVar(&o.stepDuration, "step-duration", 5*time.Second, "step mode: length of each step")
	flag.DurationVar(&o.slo, "slo", 20*time.Millisecond, "step mode: the p99 objective")
	flag.StringVar(&o.binary, "binary", "tmp/crm", "the service binary")
	flag.BoolVar(&o.build, "build", true, "go build -o <binary> ./cmd/crm first")
	flag.StringVar(&o.out, "out", "tmp/bench.json", "JSON results")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write the load tool's own CPU profile of the mixed open-loop run to this file (what the measuring costs)")
	flag.Parse()
	ws, err := bench.ParseWeights(o.weights)
	if err != nil {
		fatal(err)
	}
	if o.orgs < 1 || o.concurrency < 1 || o.duration <= 0 {
		fatal(errors.New("-orgs, -concurrency and -duration must be positive"))
	}
	if o.deepPages && (o.deepPage < 1 || o.deepDuration <= 0) {
		fatal(errors.New("-deep-page and -deep-duration must be positive"))
	}
	if o.analytics && (o.analyticsConc < 1 || o.analyticsDur <= 0) {
		fatal(errors.New("-analytics-concurrency and -analytics-duration must be positive"))
	}
	if o.ceilingConns <= 0 {
		o.ceilingConns = o.concurrency
	}
	if o.logins <= 0 || o.logins > o.orgs {
		o.logins = o.orgs
	}
	return o, ws
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}

// report is tmp/bench.json. MixedRSSKiB is the service's peak RSS during the mixed run alone.
type report struct {
	StartedAt   time.Time         `json:"started_at"`
	Machine     map[string]any    `json:"machine"`
	Options     map[string]any    `json:"options"`
	Seed        seedStats         `json:"seed"`
	ServiceEnv  map[string]string `json:"service_env"`
	Ceiling     closedResult      `json:"ceiling"`
	Service     closedResult      `json:"service"`
	Healthz     *closedResult     `json:"healthz,omitempty"`
	DeepPages   *deepResult       `json:"deep_pages,omitempty"`
	Analytics   *analyticsResult  `json:"analytics,omitempty"`
	Sales       *salesResult      `json:"sales_analytics,omitempty"`
	Ratio       float64           `json:"ratio"`
	Mixed       *mixedResult      `json:"mixed,omitempty"`
	Steps       []mixedResult     `json:"steps,omitempty"`
	StepBest    *int              `json:"step_best_rate,omitempty"`
	ServiceRSS  map[string]int    `json:"service_rss_kib,omitempty"`
	MixedRSSKiB int               `json:"service_rss_mixed_peak_kib,omitempty"`
	// MixedStartRSSKiB is the service's RSS when the mixed run starts (after the logins).
	MixedStartRSSKiB int     `json:"service_rss_mixed_start_kib,omitempty"`
	TotalSecond      float64 `json:"total_seconds"`
}

func main() {
	o, weights := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, weights); err != nil {
		stop()
		fatal(err)
	}
}

func run(ctx context.Context, o options, weights []bench.Weight) error {
	began := time.Now()
	rep := report{StartedAt: began.UTC(), Machine: map[string]any{
		"cpus": runtime.NumCPU(), "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH,
		"note":          "load generator, service and PostgreSQL share this machine's cores",
		"loadavg_start": loadavg(),
	}}
	if la := loadavg(); la != "" {
		fmt.Printf("machine: %d CPUs, load average %s at the start (anything else running shares the cores with the bench)\n", runtime.NumCPU(), la)
	}
	rep.Options = map[string]any{
		"orgs": o.orgs, "min_contacts": o.minContacts, "max_contacts": o.maxContacts, "seed": o.seed,
		"concurrency": o.concurrency, "ceiling_conns": o.ceilingConns, "ceiling_decode": o.ceilingDecode, "duration_s": o.duration.Seconds(),
		"warmup_s": o.warmup.Seconds(), "rate": o.rate, "mixed_duration_s": o.mixedDuration.Seconds(),
		"weights": o.weights, "logins": o.logins, "list_max_contacts": o.listMax, "step": o.step, "slo_ms": o.slo.Seconds() * 1000,
		"deep_pages": o.deepPages, "deep_page": o.deepPage, "deep_duration_s": o.deepDuration.Seconds(),
		"analytics": o.analytics, "analytics_concurrency": o.analyticsConc, "analytics_duration_s": o.analyticsDur.Seconds(),
	}

	dbURL, err := createDatabase(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("database %s created; migrating and seeding %d organizations (%d to %d contacts, Zipf)\n", o.dbName, o.orgs, o.minContacts, o.maxContacts)
	pool, err := platform.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := platform.MigrateUp(pool); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	orgs, st, err := seed(ctx, pool, o)
	if err != nil {
		return err
	}
	rep.Seed = st
	fmt.Printf("seeded in %.1f s: %d organizations, %d users, %d contacts, %d deals, %d tasks, %d timeline entries; VACUUM ANALYZE done\n",
		st.Seconds, st.Orgs, st.Users, st.Contacts, st.Deals, st.Tasks, st.Activities)
	var hist historyStats
	if *salesAnalytics {
		if hist, err = seedStageHistory(ctx, pool, o.seed); err != nil {
			return err
		}
		fmt.Printf("stage history seeded in %.1f s: %d ledger rows, %d in the largest organization\n", hist.Seconds, hist.Rows, hist.LargestOrgRows)
	}

	if o.build {
		fmt.Printf("building %s\n", o.binary)
		if err := buildService(ctx, o.binary); err != nil {
			return err
		}
	}
	svc, err := startService(ctx, o, dbURL)
	if err != nil {
		return err
	}
	defer svc.Stop()
	rep.ServiceEnv = svc.shownEnv
	fmt.Printf("service pid %d at %s; production defaults except: %s\n", svc.cmd.Process.Pid, svc.base, svc.overrides())

	logged, err := loginOwners(ctx, svc, orgs[:o.logins], o.timeout)
	if err != nil {
		return err
	}
	fmt.Printf("logged in %d owners through POST /api/v1/auth/login\n", len(logged))
	if err := attachSessions(ctx, pool, logged); err != nil {
		return err
	}

	listUsers, desc := listOrgs(logged, o.listMax)
	if len(listUsers) == 0 {
		return fmt.Errorf("no logged-in organization has at most %d contacts (-list-max-contacts)", o.listMax)
	}
	rep.Options["list_orgs"] = desc
	fmt.Printf("list passes rotate over %s\n", desc)

	// The ceiling: the service's own two statements, prepared, on a pool of their own.
	ceilPool, err := ceilingPool(ctx, dbURL, o.ceilingConns)
	if err != nil {
		return err
	}
	fmt.Printf("ceiling: ResolveMembership + ListContactsByCreatedAtDesc (page 1, 20 + 1, created_at desc), the generated SQL through pgx as the service runs it (prepared; the page with its generic plan), rows %s, %d workers, %d connections, %s\n",
		map[bool]string{false: "read undecoded", true: "decoded"}[o.ceilingDecode], o.concurrency, o.ceilingConns, o.duration)
	rep.Ceiling, err = runCeiling(ctx, ceilPool, listUsers, o)
	ceilPool.Close()
	if err != nil {
		return err
	}
	fmt.Println(rep.Ceiling)

	client := newHTTPClient(max(o.concurrency, o.maxInflight), o.timeout)
	fmt.Printf("service: GET /api/v1/contacts?page=1&page_size=20, %d workers, %s\n", o.concurrency, o.duration)
	rep.Service, err = runServiceList(ctx, client, svc.base, listUsers, o)
	if err != nil {
		return err
	}
	fmt.Println(rep.Service)
	if rep.Ceiling.RPS > 0 {
		rep.Ratio = rep.Service.RPS / rep.Ceiling.RPS
	}

	if o.healthz {
		fmt.Printf("healthz: GET /healthz, %d workers, %s\n", o.concurrency, o.duration)
		h, err := runHealthz(ctx, client, svc.base, o)
		if err != nil {
			return err
		}
		rep.Healthz = &h
		fmt.Println(h)
	}
	if o.deepPages {
		fmt.Printf("deep pages: GET /api/v1/contacts, page_size 20, %d workers, %s each\n", o.concurrency, o.deepDuration)
		d, err := runDeepPages(ctx, client, svc.base, logged, o)
		if err != nil {
			return err
		}
		rep.DeepPages = &d
	}
	// Before the mixed run: its deal creations would change what the analytics aggregate.
	if o.analytics {
		fmt.Printf("analytics: the organization with the most deals, %d workers, %s each\n", o.analyticsConc, o.analyticsDur)
		a, err := runAnalytics(ctx, client, svc.base, logged, o)
		if err != nil {
			return err
		}
		rep.Analytics = &a
	}
	if *salesAnalytics {
		fmt.Printf("sales analytics: the organization with the most deals, %d workers, %s each\n", o.analyticsConc, o.analyticsDur)
		a, err := runSalesAnalytics(ctx, client, svc.base, pool, logged, o)
		if err != nil {
			return err
		}
		a.SeededLedgerRows = hist.Rows
		rep.Sales = &a
	}
	if o.rate > 0 {
		fmt.Printf("mixed open loop: %d req/s for %s, latency from the scheduled send (weights %s)\n", o.rate, o.mixedDuration, o.weights)
		rep.MixedStartRSSKiB = svc.RSS()["VmRSS"]
		stopRSS := svc.watchRSS()
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		m, err := runMixed(ctx, client, svc.base, logged, weights, o, o.rate, o.mixedDuration)
		stopProfile()
		rep.MixedRSSKiB = stopRSS()
		if err != nil {
			return err
		}
		rep.Mixed = &m
		fmt.Print(bench.Table(append(m.Endpoints, m.All)))
		fmt.Printf("  sent %d, achieved %.0f req/s, dropped %d (in-flight cap %d)\n", m.Sent, m.All.Rate, m.Dropped, o.maxInflight)
		if rep.MixedRSSKiB > 0 {
			fmt.Printf("service RSS peak during mixed run: %d MiB (%d MiB at its start)\n", (rep.MixedRSSKiB+512)/1024, (rep.MixedStartRSSKiB+512)/1024)
		}
	}
	if o.step {
		best := 0
		rep.StepBest = &best
		fmt.Printf("step mode: from %d req/s by %d up to %d, %s each, until p99 > %s or errors\n", o.stepStart, o.stepInc, o.stepMax, o.stepDuration, o.slo)
		for r := o.stepStart; r <= o.stepMax; r += o.stepInc {
			m, err := runMixed(ctx, client, svc.base, logged, weights, o, r, o.stepDuration)
			if err != nil {
				return err
			}
			rep.Steps = append(rep.Steps, m)
			ok := m.All.P99 <= float64(o.slo.Microseconds())/1000 && m.All.Errors == 0
			fmt.Printf("  %5d req/s: achieved %.0f, p50 %.2f ms, p99 %.2f ms, errors %d %s\n", r, m.All.Rate, m.All.P50, m.All.P99, m.All.Errors, map[bool]string{true: "ok", false: "FAIL"}[ok])
			if !ok {
				break
			}
			best = r
		}
		fmt.Printf("  highest rate with p99 <= %s and no errors: %d req/s\n", o.slo, best)
	}
	rep.ServiceRSS = svc.RSS()
	if rep.ServiceRSS != nil {
		fmt.Printf("service RSS now %d KiB, peak %d KiB\n", rep.ServiceRSS["VmRSS"], rep.ServiceRSS["VmHWM"])
	}
	svc.Stop()
	rep.Machine["loadavg_end"] = loadavg()
	rep.TotalSecond = time.Since(began).Seconds()
	if err := writeJSON(o.out, rep); err != nil {
		return err
	}
	fmt.Printf("results in %s (%.0f s in all)\n", o.out, rep.TotalSecond)
	if !o.keepDB {
		pool.Close()
		if err := dropDatabase(context.Background(), o); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: drop database:", err)
		}
	}
	fmt.Println(bench.RatioLine(rep.Service.RPS, rep.Ceiling.RPS))
	return nil
}

// listOrgs keeps the users of organizations of at most maxContacts contacts (0: all) and describes
// them.
func listOrgs(users []*loggedUser, maxContacts int) ([]*loggedUser, string) {
	var out []*loggedUser
	lo, hi, sum := 0, 0, 0
	for _, u := range users {
		n := u.Org.Contacts
		if maxContacts > 0 && n > maxContacts {
			continue
		}
		if len(out) == 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
		sum += n
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, fmt.Sprintf("%d organizations of %d to %d contacts (mean %d), one owner each", len(out), lo, hi, sum/len(out))
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// createDatabase drops and recreates o.dbName and returns its URL.
func createDatabase(ctx context.Context, o options) (string, error) {
	u, err := url.Parse(o.adminURL)
	if err != nil {
		return "", fmt.Errorf("-pg: %w", err)
	}
	if err := dropDatabase(ctx, o); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, o.adminURL)
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", u.Redacted(), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{o.dbName}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + o.dbName
	return u.String(), nil
}

func dropDatabase(ctx context.Context, o options) error {
	conn, err := pgx.Connect(ctx, o.adminURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{o.dbName}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	return nil
}

func ceilingPool(ctx context.Context, dbURL string, conns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(min(conns, 1000)) //nolint:gosec // bounded just above
	cfg.MinConns = cfg.MaxConns
	return pgxpool.NewWithConfig(ctx, cfg)
}

// loadavg is the first three fields of /proc/loadavg, or "" where there is none.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// startCPUProfile profiles this process into path until the returned function is called; an empty
// path profiles nothing.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}
