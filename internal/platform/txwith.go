package platform

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
)

// InTxWith is InTx for work that needs the transaction itself besides its queries: River's
// InsertTx, which inserts a job in the transaction of the change it belongs to. It begins, or
// joins as a savepoint, exactly the transaction InTx would.
func (d *DB) InTxWith(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries) error) error {
	var beginner interface {
		Begin(ctx context.Context) (pgx.Tx, error)
	} = d.pool
	if tx, ok := ctx.Value(requestTxKey{}).(pgx.Tx); ok {
		beginner = tx // Begin on a transaction is a SAVEPOINT
	}
	return translateIn(ctx, pgx.BeginFunc(ctx, beginner, func(tx pgx.Tx) error { return fn(tx, db.New(translating{tx})) }))
}
