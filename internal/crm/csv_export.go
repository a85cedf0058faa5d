package crm

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/tenancy"
)

// exportBatch is how many records an export reads per query: its memory is one batch, whatever the
// size of the export, and no connection is held while the client reads.
const exportBatch = 1000

// The columns of the exports: the fields of the API's Contact and Deal, by their JSON names.
var (
	contactColumns = []string{"id", "owner_id", "name", "email", "phone", "company", "notes", "created_at", "updated_at"}
	dealColumns    = []string{"id", "contact_id", "owner_id", "title", "amount", "currency", "status", "stage", "created_at", "updated_at"}
)

// exportKey is an export's keyset position: the (created_at, id) of the last record written. Its
// zero value is before every record.
type exportKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// Export is a CSV export whose permission checks have passed; Write streams it.
type Export struct {
	columns []string
	// batch reads the records after the position, at most exportBatch, and the position of the
	// last one.
	batch func(ctx context.Context, after exportKey) ([][]string, exportKey, error)
}

// ExportContacts is the export of the contacts ListContacts would list with f (the order aside:
// oldest first), under the same visibility rules.
func (s *Service) ExportContacts(m tenancy.Membership, f ContactFilter) (*Export, error) {
	owner, err := ownerFilter(m, f.OwnerID)
	if err != nil {
		return nil, err
	}
	args := db.ExportContactsParams{OrganizationID: m.OrganizationID, OwnerID: owner, Search: likePattern(f.Search), BatchSize: exportBatch}
	return &Export{columns: contactColumns, batch: func(ctx context.Context, after exportKey) ([][]string, exportKey, error) {
		args.AfterCreatedAt, args.AfterID = after.CreatedAt, after.ID
		rows, err := s.q.ExportContacts(ctx, args)
		if err != nil || len(rows) == 0 {
			return nil, after, err
		}
		out := make([][]string, len(rows))
		for i, c := range rows {
			out[i] = []string{c.ID.String(), c.OwnerID.String(), c.Name, optional(c.Email), optional(c.Phone),
				optional(c.Company), optional(c.Notes), timestamp(c.CreatedAt), timestamp(c.UpdatedAt)}
		}
		last := rows[len(rows)-1]
		return out, exportKey{last.CreatedAt, last.ID}, nil
	}}, nil
}

// ExportDeals is the export of the deals ListDeals would list with f (the order aside: oldest
// first), under the same visibility rules.
func (s *Service) ExportDeals(m tenancy.Membership, f DealFilter) (*Export, error) {
	owner, err := ownerFilter(m, f.OwnerID)
	if err != nil {
		return nil, err
	}
	if f.Statuses == nil {
		f.Statuses = []string{}
	}
	args := db.ExportDealsParams{
		OrganizationID: m.OrganizationID, Statuses: f.Statuses, Stage: f.Stage, MinAmount: f.MinAmount,
		MaxAmount: f.MaxAmount, OwnerID: owner, ContactID: f.ContactID, Search: likePattern(f.Search), BatchSize: exportBatch,
	}
	return &Export{columns: dealColumns, batch: func(ctx context.Context, after exportKey) ([][]string, exportKey, error) {
		args.AfterCreatedAt, args.AfterID = after.CreatedAt, after.ID
		rows, err := s.q.ExportDeals(ctx, args)
		if err != nil || len(rows) == 0 {
			return nil, after, err
		}
		out := make([][]string, len(rows))
		for i, d := range rows {
			out[i] = []string{d.ID.String(), d.ContactID.String(), d.OwnerID.String(), d.Title, d.Amount.String(),
				d.Currency, d.Status, d.Stage, timestamp(d.CreatedAt), timestamp(d.UpdatedAt)}
		}
		last := rows[len(rows)-1]
		return out, exportKey{last.CreatedAt, last.ID}, nil
	}}, nil
}

// Write streams the export to w as RFC 4180 CSV (CRLF line ends): the header row, then the records
// batch by batch, each followed by flush (when not nil), so that the client receives it while the
// next is read. begin is called once, just before the first byte: when Write fails before it (the
// first read failed), nothing was written and the failure can still be answered as such. Every
// cell is neutralised (see neutralise).
func (e *Export) Write(ctx context.Context, w io.Writer, begin func(), flush func()) error {
	records, pos, err := e.batch(ctx, exportKey{})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	begin()
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(e.columns); err != nil {
		return err
	}
	for {
		for _, r := range records {
			for i := range r {
				r[i] = neutralise(r[i])
			}
			if err := cw.Write(r); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if flush != nil {
			flush()
		}
		if len(records) < exportBatch {
			return nil
		}
		if records, pos, err = e.batch(ctx, pos); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
}

// isFormulaStart reports whether a cell beginning with b would be read by a spreadsheet as a
// formula (OWASP's CSV injection list: = + - @, tab and carriage return).
func isFormulaStart(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// formulaQuotes is the number of ' in front of the formula character that s begins with after
// them, or -1 when s does not begin so.
func formulaQuotes(s string) int {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	if i < len(s) && isFormulaStart(s[i]) {
		return i
	}
	return -1
}

// neutralise puts a ' in front of a cell that begins with a formula character, so that a
// spreadsheet shows it as text instead of evaluating it. A cell that already begins with ' (any
// number of them) before a formula character gets one more too: restore then removes exactly one,
// and every value comes back as it was.
func neutralise(s string) string {
	if formulaQuotes(s) >= 0 {
		return "'" + s
	}
	return s
}

// restore undoes neutralise: one ' less in front of a cell that begins with ' and then a formula
// character.
func restore(s string) string {
	if formulaQuotes(s) > 0 {
		return s[1:]
	}
	return s
}

func optional(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// timestamp writes an instant as the API's JSON does (RFC 3339 in UTC, fractions as needed).
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
