package platform

import (
	"context"
	"errors"
	"strings"

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
	return &DB{pool: pool, q: db.New(translating{pool})}
}

// Queries runs each query on its own pooled connection.
func (d *DB) Queries() *db.Queries { return d.q }

// InTx runs fn in one transaction with queries bound to it; it commits when fn returns nil.
func (d *DB) InTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return translate(pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return fn(db.New(translating{tx})) }))
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return translate(d.pool.Ping(ctx)) }

// translating is a db.DBTX whose errors went through translate.
type translating struct{ db.DBTX }

func (t translating) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.DBTX.Exec(ctx, sql, args...)
	return tag, translate(err)
}

func (t translating) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := t.DBTX.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err)
	}
	return translatingRows{rows}, nil
}

func (t translating) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return translatingRow{t.DBTX.QueryRow(ctx, sql, args...)}
}

type translatingRow struct{ pgx.Row }

func (r translatingRow) Scan(dest ...any) error { return translate(r.Row.Scan(dest...)) }

type translatingRows struct{ pgx.Rows }

func (r translatingRows) Scan(dest ...any) error { return translate(r.Rows.Scan(dest...)) }
func (r translatingRows) Err() error             { return translate(r.Rows.Err()) }

// translate turns the database errors a client may be told about into *apperr.Error, keeping the
// original as the cause.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
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

// isUnavailable reports whether err means the database cannot be reached right now.
func isUnavailable(err error) bool {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || errors.Is(err, puddle.ErrClosedPool) {
		return true
	}
	var pgErr *pgconn.PgError
	// 57P01..03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections.
	return errors.As(err, &pgErr) && (pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
		pgErr.Code == "57P03" || pgErr.Code == "53300")
}

// isDataException reports whether err is a PostgreSQL data exception (SQLSTATE class 22: invalid
// text, numeric overflow, ...), which only a client-supplied value can cause.
func isDataException(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22")
}
