package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTranslate_NamesWhatAClientMayBeToldAndKeepsTheCause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		kind apperr.Kind
		code string
	}{
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, apperr.KindUnavailable, "service_unavailable"},
		{"too many connections", fmt.Errorf("query: %w", &pgconn.PgError{Code: "53300"}), apperr.KindUnavailable, "service_unavailable"},
		{"closed pool", puddle.ErrClosedPool, apperr.KindUnavailable, "service_unavailable"},
		{"connection failure", &pgconn.PgError{Code: "08006"}, apperr.KindUnavailable, "service_unavailable"},
		{"out of memory", &pgconn.PgError{Code: "53200"}, apperr.KindUnavailable, "service_unavailable"},
		{"conn closed", fmt.Errorf("begin: %w", pgconn.ErrConnClosed), apperr.KindUnavailable, "service_unavailable"},
		{"server closed the stream", fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF), apperr.KindUnavailable, "service_unavailable"},
		{"eof", io.EOF, apperr.KindUnavailable, "service_unavailable"},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, apperr.KindUnavailable, "service_unavailable"},
		{"broken pipe", &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, apperr.KindUnavailable, "service_unavailable"},
		{"safe to retry", safeToRetry{}, apperr.KindUnavailable, "service_unavailable"},
		{"lock timeout", &pgconn.PgError{Code: "55P03"}, apperr.KindUnavailable, "service_unavailable"},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, apperr.KindUnavailable, "service_unavailable"},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, apperr.KindUnavailable, "service_unavailable"},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, apperr.KindUnavailable, "service_unavailable"},
		{"numeric overflow", &pgconn.PgError{Code: "22003"}, apperr.KindInvalid, "invalid_value"},
		{"invalid text", &pgconn.PgError{Code: "22P02"}, apperr.KindInvalid, "invalid_value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := translate(tc.err)
			ae, ok := apperr.As(got)
			require.True(t, ok, "%v", got)
			assert.Equal(t, tc.kind, ae.Kind)
			assert.Equal(t, tc.code, ae.Code)
			assert.ErrorIs(t, got, tc.err, "the cause stays in the chain")
		})
	}
}

// safeToRetry is an error pgx marks as having happened before anything reached the server.
type safeToRetry struct{}

func (safeToRetry) Error() string     { return "dial failed" }
func (safeToRetry) SafeToRetry() bool { return true }

// A lock wait or a statement that PostgreSQL ended is retryable: the client is told when to retry.
func TestTranslate_TimeoutsAndCollisionsSayWhenToRetry(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{"55P03": 1, "40P01": 1, "40001": 1, "57014": 5} {
		ae, ok := apperr.As(translate(&pgconn.PgError{Code: code}))
		require.True(t, ok, code)
		assert.Equal(t, want, ae.RetryAfter, code)
	}
}

// The connection really dies in the middle of a query (the server's socket is reset, as when it
// crashes or the network drops): the query answers 503, the next use of the dead connection ("conn
// closed") too, and the pool recovers on its own once the server can be reached again.
func TestDB_ConnectionLostMidQueryIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := newProxy(t, targetOf(t, testServerURL()))
	url := throughProxy(t, testServerURL(), p)

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	require.NoError(t, pool.Ping(ctx))

	errs := make(chan error, 2)
	go func() { _, err := translating{conn}.Exec(ctx, "SELECT pg_sleep(3)"); errs <- err }()
	go func() {
		var one int
		errs <- translating{pool}.QueryRow(ctx, "SELECT 1 FROM pg_sleep(3)").Scan(&one)
	}()
	time.Sleep(300 * time.Millisecond) // both queries are running on the server
	start := time.Now()
	p.Cut()
	for range 2 {
		err := <-errs
		ae, ok := apperr.As(err)
		require.True(t, ok, "a lost connection is a 503, got %v", err)
		assert.Equal(t, "service_unavailable", ae.Code)
	}
	assert.Less(t, time.Since(start), 2*time.Second, "the loss is noticed at once")

	_, err = translating{conn}.Exec(ctx, "SELECT 1")
	require.ErrorIs(t, err, pgconn.ErrConnClosed)
	assert.True(t, apperr.HasCode(err, "service_unavailable"), "%v", err)

	_, err = translating{pool}.Exec(ctx, "SELECT 1")
	assert.NoError(t, err, "the pool replaces the dead connection")
}

// A request whose own deadline passed, or whose client went away, is not a database failure: the
// error keeps the context's error for the HTTP layer, which tells the two apart.
func TestTranslateIn_TheCallersOwnDeadlineIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range []error{
		fmt.Errorf("timeout: %w", context.Canceled),
		&pgconn.PgError{Code: "57014"},
		fmt.Errorf("read: %w", io.ErrUnexpectedEOF),
	} {
		got := translateIn(ctx, err)
		assert.Same(t, err, got)
	}
	ae := apperr.ErrUnavailable.WithCause(errors.New("x"))
	assert.Same(t, error(ae), translateIn(ctx, ae), "already translated")
	assert.True(t, apperr.HasCode(translateIn(context.Background(), &pgconn.PgError{Code: "57014"}), "service_unavailable"))
}

func TestTranslate_LeavesTheRestToTheDomain(t *testing.T) {
	t.Parallel()
	assert.NoError(t, translate(nil))
	assert.Same(t, pgx.ErrNoRows, translate(pgx.ErrNoRows))
	unique := &pgconn.PgError{Code: "23505", ConstraintName: "contacts_org_email_key"}
	assert.True(t, IsUniqueViolation(translate(unique), "contacts_org_email_key"))
	fk := &pgconn.PgError{Code: "23503", ConstraintName: "deals_contact_fkey"}
	assert.True(t, IsForeignKeyViolation(translate(fk), "deals_contact_fkey"))
	other := errors.New("boom")
	assert.Same(t, other, translate(other))
	ae := apperr.Conflict("x", "y")
	assert.Same(t, error(ae), translate(ae))
	_, isApp := apperr.As(translate(unique))
	assert.False(t, isApp)
}

func TestWithPlanMode_MarkedStatementsRunUnprepared(t *testing.T) {
	t.Parallel()
	args := []any{1, "x"}
	assert.Equal(t, []any{pgx.QueryExecModeCacheDescribe, 1, "x"}, WithPlanMode("SELECT "+CustomPlanMarker+" 1", args))
	assert.Equal(t, args, WithPlanMode("SELECT 1", args), "others keep the pool's mode")
}
