package platform

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
)

// DB is the database as the domain sees it: the generated queries, transactions and a ping. Every
// error it returns that a client can be told about is already an *apperr.Error — the database is
// unreachable (503) or refused a value only client input can cause (400) — so no layer above has
// to know PostgreSQL's error codes. Other errors (constraint violations, pgx.ErrNoRows) pass
// unchanged, for the domain to give them their meaning.
type DB struct {
	pool *pgxpool.Pool
	q    *db.Queries
}

// NewDB wraps pool.
func NewDB(pool *pgxpool.Pool) *DB {
	return &DB{pool: pool, q: db.New(translating{joining{pool}})}
}

// Queries runs each query on its own pooled connection, or, under the context of a RequestTx, in
// that transaction.
func (d *DB) Queries() *db.Queries { return d.q }

// InTx runs fn in one transaction with queries bound to it; it commits when fn returns nil. Under
// the context of a RequestTx it runs in a savepoint of that transaction instead: fn's work is
// undone alone when fn fails, and is committed (or not) with the request's transaction.
func (d *DB) InTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return d.InTxWith(ctx, func(_ pgx.Tx, q *db.Queries) error { return fn(q) })
}

// InTxWith is InTx for work that needs the transaction itself besides its queries: River's
// InsertTx, which inserts a job in the transaction of the change it belongs to (webhooks).
func (d *DB) InTxWith(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries) error) error {
	var beginner interface {
		Begin(ctx context.Context) (pgx.Tx, error)
	} = d.pool
	if tx, ok := ctx.Value(requestTxKey{}).(pgx.Tx); ok {
		beginner = tx // Begin on a transaction is a SAVEPOINT
	}
	return translateIn(ctx, pgx.BeginFunc(ctx, beginner, func(tx pgx.Tx) error { return fn(tx, db.New(translating{tx})) }))
}

// RequestTx is one transaction that a whole request runs in: under the context BeginRequest
// returns, InTx and Queries join it instead of taking connections of their own. The idempotency
// keys use it to write a request's answer in the same transaction as the request's effect. It
// holds one connection from BeginRequest to Commit or Rollback; the calls that join it never take
// a second one, so requests holding one cannot starve each other of the pool.
type RequestTx struct {
	tx pgx.Tx
	q  *db.Queries
}

type requestTxKey struct{}

// BeginRequest begins a RequestTx and returns the context its work must run under.
func (d *DB) BeginRequest(ctx context.Context) (context.Context, *RequestTx, error) {
	if _, ok := ctx.Value(requestTxKey{}).(pgx.Tx); ok {
		return ctx, nil, errors.New("platform: BeginRequest under a request transaction")
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return ctx, nil, translateIn(ctx, err)
	}
	return context.WithValue(ctx, requestTxKey{}, tx), &RequestTx{tx: tx, q: db.New(translating{tx})}, nil
}

// Queries runs on the transaction.
func (t *RequestTx) Queries() *db.Queries { return t.q }

// Commit commits the transaction.
func (t *RequestTx) Commit(ctx context.Context) error { return translateIn(ctx, t.tx.Commit(ctx)) }

// Rollback rolls the transaction back; after Commit it does nothing.
func (t *RequestTx) Rollback(ctx context.Context) error {
	err := t.tx.Rollback(ctx)
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return translateIn(ctx, err)
}

// IsAbortedTransaction reports whether err says the transaction already failed (25P02): a statement
// of it was refused, and nothing of it can commit.
func IsAbortedTransaction(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "25P02"
}

// joining is the pool, except under the context of a RequestTx, whose transaction it runs on.
type joining struct{ pool *pgxpool.Pool }

func (j joining) on(ctx context.Context) db.DBTX {
	if tx, ok := ctx.Value(requestTxKey{}).(pgx.Tx); ok {
		return tx
	}
	return j.pool
}

func (j joining) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return j.on(ctx).Exec(ctx, sql, args...)
}

func (j joining) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return j.on(ctx).Query(ctx, sql, args...)
}

func (j joining) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return j.on(ctx).QueryRow(ctx, sql, args...)
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return translateIn(ctx, d.pool.Ping(ctx)) }

// CustomPlanMarker marks, in queries/, the statements PostgreSQL must plan for their parameters on
// every execution: the searches and the narrowed lists. Organizations differ in size by orders of
// magnitude, and these statements have optional filters ("$n IS NULL OR ..."): the generic plan a
// prepared statement switches to after five executions is costed for an average organization,
// sorts a big one's rows instead of reading its index, and cannot use an optional filter's index.
// Marked statements run as unnamed statements with a cached description (one round trip, binary
// values), which PostgreSQL plans for the values they carry; the others stay prepared once per
// connection and skip planning (internal/listplans checks the plans). The analytics are not
// marked: they read counter rows and ranges of indexes led by the organization and time, where
// the generic plan is the custom one and planning cost as much as running or more
// (queries/analytics.sql, queries/sales_analytics.sql).
const CustomPlanMarker = "/* plan: custom */"

// GenericUnlessFilteredMarker marks the keyset lists: while none of their optional filters ("$n
// IS NULL OR ...", "cardinality($n) = 0 OR ...") is set, their generic plan reads the
// organization's index in the list's order from the keyset position, whatever the organization's
// size (internal/listplans checks it), and planning them for their values cost three times what
// running them did (docs/performance.md). Such a call runs prepared, with PostgreSQL told to use
// the generic plan for it alone (queryGeneric). With a filter set, the statement runs as a
// CustomPlanMarker one. PostgreSQL's own choice (plan_cache_mode auto) would never switch: the
// generic plan's estimate, costed for an unknown LIMIT and an average organization, stays above
// the custom plans'.
const GenericUnlessFilteredMarker = "/* plan: generic unless filtered */"

// GenericSortingUnlessFilteredMarker is GenericUnlessFilteredMarker for a statement whose plan
// must sort and combine bitmap scans: a search, which the trigram index finds in no order
// (queries/contacts.sql SearchContacts). Its generic plan is forced without keeping the planner
// from either (ForceGenericPlanSorting); it is the custom plan's shape, without the planning.
const GenericSortingUnlessFilteredMarker = "/* plan: generic, sorting, unless filtered */"

// planMode is how a statement is planned.
type planMode int

const (
	planPrepared planMode = iota // prepared once per connection; PostgreSQL chooses the plan
	planCustom                   // planned for its values on every execution
	planGeneric                  // prepared, the generic plan forced
)

// PlanFor names how the service runs sql with args: "prepared", "custom" or "generic" (see the
// markers above).
func PlanFor(sql string, args []any) string {
	mode, _ := planOf(sql, args)
	return [...]string{"prepared", "custom", "generic"}[mode]
}

// planOf is how sql runs with args and, for a generic plan, the statement that forces it: a
// statement marked to run generic unless filtered is planned for its values when one of its
// optional filters is set.
func planOf(sql string, args []any) (planMode, string) {
	p := textPlanOf(sql)
	for _, i := range p.filters {
		if i < len(args) && isSet(args[i]) {
			return planCustom, ""
		}
	}
	return p.mode, p.setup
}

// textPlan is what a statement's text says of its plan, read once per text (textPlans).
type textPlan struct {
	mode    planMode
	setup   string // planGeneric: the statement that forces the generic plan
	filters []int  // planGeneric: the indexes, in a call's arguments, of the optional filters
}

var textPlans sync.Map // statement -> textPlan

// optionalFilter finds the parameters of the optional filters of a statement as sqlc writes it.
var optionalFilter = regexp.MustCompile(`\$(\d+)::[a-z_]+ IS NULL OR|cardinality\(\$(\d+)::[a-z_]+\[\]\) = 0 OR`)

func textPlanOf(sql string) textPlan {
	if v, ok := textPlans.Load(sql); ok {
		return v.(textPlan)
	}
	p := textPlan{mode: planGeneric, setup: ForceGenericPlan}
	switch {
	case strings.Contains(sql, CustomPlanMarker):
		p = textPlan{mode: planCustom}
	case strings.Contains(sql, GenericSortingUnlessFilteredMarker):
		p.setup = ForceGenericPlanSorting
	case !strings.Contains(sql, GenericUnlessFilteredMarker):
		p = textPlan{mode: planPrepared}
	}
	if p.mode == planGeneric {
		for _, m := range optionalFilter.FindAllStringSubmatch(sql, -1) {
			n, _ := strconv.Atoi(m[1] + m[2]) // one of the two groups matched
			p.filters = append(p.filters, n-1)
		}
	}
	textPlans.Store(sql, p)
	return p
}

// isSet reports whether an optional filter's argument filters: a non-nil pointer, a non-empty
// slice, any other value.
func isSet(v any) bool {
	if v == nil {
		return false
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map:
		return !rv.IsNil()
	case reflect.Slice:
		return rv.Len() > 0
	}
	return true
}

// WithPlanMode puts the query mode sql needs in front of args when it must be planned for its
// values (see CustomPlanMarker): a GenericUnlessFilteredMarker statement is, where its generic
// plan cannot be forced for it alone (queryGeneric).
func WithPlanMode(sql string, args []any) []any {
	mode, _ := planOf(sql, args)
	return withMode(mode, args)
}

func withMode(mode planMode, args []any) []any {
	if mode != planPrepared {
		return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
	}
	return args
}

// ForceGenericPlanSorting makes PostgreSQL use prepared statements' generic plans until the end
// of the current transaction (GenericSortingUnlessFilteredMarker).
const ForceGenericPlanSorting = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"

// ForceGenericPlan is ForceGenericPlanSorting that also keeps the planner from sorts and bitmap
// scans meanwhile: a generic plan is costed for an average organization, for which reading a few
// rows by bitmap and sorting them looks cheaper than reading the index in order, and would read
// and sort all of a big organization's rows for a page (internal/listplans checks the plans).
const ForceGenericPlan = ForceGenericPlanSorting +
	", set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)"

// GenericPlanSetup is the statement that forces the generic plan of sql, a statement marked
// GenericUnlessFilteredMarker or GenericSortingUnlessFilteredMarker.
func GenericPlanSetup(sql string) string { return textPlanOf(sql).setup }

// genericQuerier runs a statement after setup, the statement that forces its generic plan, when
// it can (see joining).
type genericQuerier interface {
	queryGeneric(ctx context.Context, setup, sql string, args []any) (rows pgx.Rows, ran bool, err error)
}

// queryGeneric runs sql on a pooled connection in one round trip after setup: the two form one
// implicit transaction, ended by the pipeline's Sync, so the setting ends with it and the
// connection returns to the pool as it was. Under a RequestTx the setting would outlive the
// statement: it does not run (ran is false) and the caller plans it for its values.
func (j joining) queryGeneric(ctx context.Context, setup, sql string, args []any) (pgx.Rows, bool, error) {
	if _, ok := ctx.Value(requestTxKey{}).(pgx.Tx); ok {
		return nil, false, nil
	}
	b := &pgx.Batch{}
	b.Queue(setup)
	b.Queue(sql, args...)
	br := j.pool.SendBatch(ctx, b)
	_, err := br.Exec()
	var rows pgx.Rows
	if err == nil {
		rows, err = br.Query()
	}
	if err != nil {
		_ = br.Close()
		return nil, true, err
	}
	return &batchRows{Rows: rows, batch: br}, true, nil
}

// batchRows are the rows of a batch's last statement. As pgx's own rows release their connection
// when read to the end or closed, so do these end the batch, which returns its connection to the
// pool.
type batchRows struct {
	pgx.Rows
	batch pgx.BatchResults
	done  bool
	err   error // the batch's own, when the rows had none
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.done {
		r.done = true
		if err := r.batch.Close(); err != nil && r.Rows.Err() == nil {
			r.err = err
		}
	}
}

// Query runs sql on pool as the service's queries run it, in the query mode and with the plan its
// marker asks for (CustomPlanMarker, GenericUnlessFilteredMarker), with errors translated: for the
// load tool's ceiling, which reads the rows undecoded.
func Query(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) (pgx.Rows, error) {
	return translating{joining{pool}}.Query(ctx, sql, args...)
}

// translating is a db.DBTX whose errors went through translate, and whose statements run in the
// query mode WithPlanMode gives them.
type translating struct{ db.DBTX }

func (t translating) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.DBTX.Exec(ctx, sql, WithPlanMode(sql, args)...)
	return tag, translateIn(ctx, err)
}

func (t translating) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	mode, setup := planOf(sql, args)
	if g, ok := t.DBTX.(genericQuerier); ok && mode == planGeneric {
		if rows, ran, err := g.queryGeneric(ctx, setup, sql, args); ran {
			if err != nil {
				return nil, translateIn(ctx, err)
			}
			return translatingRows{rows, ctx}, nil
		}
	}
	rows, err := t.DBTX.Query(ctx, sql, withMode(mode, args)...)
	if err != nil {
		return nil, translateIn(ctx, err)
	}
	return translatingRows{rows, ctx}, nil
}

func (t translating) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return translatingRow{t.DBTX.QueryRow(ctx, sql, WithPlanMode(sql, args)...), ctx}
}

type translatingRow struct {
	pgx.Row
	ctx context.Context // the query's context, for the error of its deferred Scan
}

func (r translatingRow) Scan(dest ...any) error { return translateIn(r.ctx, r.Row.Scan(dest...)) }

type translatingRows struct {
	pgx.Rows
	ctx context.Context // the query's context, for the errors of its rows
}

func (r translatingRows) Scan(dest ...any) error { return translateIn(r.ctx, r.Rows.Scan(dest...)) }
func (r translatingRows) Err() error             { return translateIn(r.ctx, r.Rows.Err()) }

// translateIn is translate for an operation run under ctx. When ctx has ended, the operation failed
// because the caller's own deadline passed or the caller went away — not because of the database —
// and the error is left as it is (context.DeadlineExceeded or context.Canceled in its chain) for
// the caller, which knows which of the two it was, to answer.
func translateIn(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		if _, ok := apperr.As(err); !ok {
			return err
		}
	}
	return translate(err)
}

// Seconds a client is told to wait (Retry-After) before it tries again.
const (
	retryContended = 1 // a lock wait or a collision with a concurrent transaction: soon free again
	retrySlow      = 5 // a statement over statement_timeout, likely the load of the moment
)

var (
	errLockTimeout = &apperr.Error{Kind: apperr.KindUnavailable, Code: "service_unavailable", RetryAfter: retryContended,
		Message: "The data is being changed by another request; retry shortly."}
	errConcurrentChange = &apperr.Error{Kind: apperr.KindUnavailable, Code: "service_unavailable", RetryAfter: retryContended,
		Message: "The request collided with a concurrent change and was not applied; retry it."}
	errStatementTimeout = &apperr.Error{Kind: apperr.KindUnavailable, Code: "service_unavailable", RetryAfter: retrySlow,
		Message: "The database took too long to answer; retry later."}
)

// translate turns the database errors a client may be told about into *apperr.Error, keeping the
// original as the cause:
//
//   - the database is unreachable, or the connection was lost (even in the middle of a query or a
//     commit): 503 service_unavailable;
//   - lock_timeout ended a lock wait (55P03), deadlock or serialization failure (40P01, 40001):
//     503 service_unavailable with Retry-After 1 — the statement or transaction did nothing and
//     may simply be retried, which 503 says and a 409 would not;
//   - statement_timeout cancelled a statement (57014): 503 with Retry-After 5;
//   - a data exception (class 22): 400 invalid_value.
//
// Everything else (constraint violations, pgx.ErrNoRows, ...) passes unchanged, for the domain to
// give it its meaning. Operations that have a context translate with translateIn.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "55P03": // lock_not_available
			return errLockTimeout.WithCause(err)
		case "40P01", "40001": // deadlock_detected, serialization_failure
			return errConcurrentChange.WithCause(err)
		case "57014": // query_canceled: by statement_timeout, since the caller's context is alive
			return errStatementTimeout.WithCause(err)
		}
	}
	if isUnavailable(err) {
		return apperr.ErrUnavailable.WithCause(err)
	}
	if isDataException(err) {
		// A value the validator let through but PostgreSQL cannot store or compare: the input's
		// fault, never the server's. A safety net behind the request validation.
		return apperr.ErrInvalidValue.WithCause(err)
	}
	return err
}

// IsUniqueViolation reports whether err is a unique violation of the named constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == constraint
}

// IsForeignKeyViolation reports whether err is a foreign key violation of the named constraint.
func IsForeignKeyViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == constraint
}

// isUnavailable reports whether err means the database cannot be reached right now: no
// connection could be made, the pool is closed, the server is shutting down or out of resources,
// or the connection died under the operation (the server closed it, the network dropped it, pgx
// closed it after an earlier failure).
func isUnavailable(err error) bool {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || errors.Is(err, puddle.ErrClosedPool) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception. Class 53: insufficient resources (53300 too many
		// connections, ...). 57P01..03: admin shutdown, crash shutdown, cannot connect now.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return isConnectionLost(err)
}

// isConnectionLost reports whether err means the connection under an operation is gone: pgx's
// "conn closed", the server's end of the stream (io.EOF, io.ErrUnexpectedEOF), a network error
// (reset, broken pipe, a timeout that is not the caller's deadline), or any failure pgx marks as
// happening before anything was sent (SafeToRetry).
func isConnectionLost(err error) bool {
	if errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// isDataException reports whether err is a PostgreSQL data exception (SQLSTATE class 22: invalid
// text, numeric overflow, ...), which only a client-supplied value can cause.
func isDataException(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22")
}
