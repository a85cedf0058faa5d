package crm

import (
	"github.com/minicrm/crm/gen/db"
)

// Every list has one query per allowed order (sqlc generates one function and one row type per
// query), so that each reads its page from the index of its sort key. The queries of a list share
// their parameters and their row shape: the types below are those shapes, and the *Rows functions
// convert a query's rows into them. The contact and deal rows carry their list's version, so that
// a page by number can start from a remembered position (paging.ListAnchored).

type (
	contactRow = struct {
		Contact     db.Contact
		Total       int64
		ListVersion int64
	}
	dealRow = struct {
		Deal        db.Deal
		Total       int64
		ListVersion int64
	}
	taskRow = struct {
		Task  db.Task
		Total int64
	}
)

func contactRows[R ~contactRow](rows []R, err error) ([]contactRow, error) {
	out := make([]contactRow, len(rows))
	for i, r := range rows {
		out[i] = contactRow(r)
	}
	return out, err
}

func dealRows[R ~dealRow](rows []R, err error) ([]dealRow, error) {
	out := make([]dealRow, len(rows))
	for i, r := range rows {
		out[i] = dealRow(r)
	}
	return out, err
}

func taskRows[R ~taskRow](rows []R, err error) ([]taskRow, error) {
	out := make([]taskRow, len(rows))
	for i, r := range rows {
		out[i] = taskRow(r)
	}
	return out, err
}
