package crm

import (
	"time"

	"github.com/google/uuid"
)

// Version names one state of a contact, deal or task: its id and its updated_at, which every
// change moves strictly forward (queries/), so no two states of a record share a Version. The HTTP
// layer derives the entity tag (ETag) from it.
type Version struct {
	ID        uuid.UUID
	UpdatedAt time.Time
}

// Precondition decides whether a change or deletion may go ahead on the record's current state
// (a conditional request's If-Match); it returns the error to answer instead. The service runs it
// inside the transaction, on the row it has locked, after the checks that answer 404 and 403 and
// before the change itself: the state it approves is the state the change is made to. A nil
// Precondition lets every change through (last write wins).
type Precondition func(Version) error

// check runs p, if any, on the state of the record id as last changed at updatedAt.
func (p Precondition) check(id uuid.UUID, updatedAt time.Time) error {
	if p == nil {
		return nil
	}
	return p(Version{ID: id, UpdatedAt: updatedAt})
}
