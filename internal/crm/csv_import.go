package crm

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/tenancy"
)

// MaxImportRows is the most data rows one import takes.
const MaxImportRows = 50_000

// importChunk is how many rows one INSERT of an import writes: each statement stays far below the
// database's statement_timeout (5 s by default; 50,000 rows in one statement took 2.5 to 5.7 s on a
// busy two-core machine, most of it the trigram index of the search), and the transaction keeps
// the import all or nothing.
const importChunk = 5000

// maxImportErrors is how many row errors an import keeps; the rest are only counted. The answer
// lists fewer still (httpapi.MaxReportedErrors); this only bounds the memory of a file that is
// wrong on every row.
const maxImportErrors = 100

// The limits of a contact's fields, as ContactCreate in openapi.yaml has them (in characters).
const (
	maxNameLen    = 200
	maxEmailLen   = 254
	maxPhoneLen   = 50
	maxCompanyLen = 200
	maxNotesLen   = 5000
)

var errTooManyRows = &apperr.Error{Kind: apperr.KindTooLarge, Code: "too_many_rows",
	Message: "An import takes at most 50,000 rows; split the file."}

// ImportResult counts what an import created and what it skipped (an email the organization or an
// earlier row already has).
type ImportResult struct {
	Created int
	Skipped int
}

// The columns an import takes; any other is ignored.
const (
	colName = iota
	colEmail
	colPhone
	colCompany
	colNotes
	importColumns
)

var (
	importColumnNames = [importColumns]string{"name", "email", "phone", "company", "notes"}
	importLimits      = [importColumns]int{maxNameLen, maxEmailLen, maxPhoneLen, maxCompanyLen, maxNotesLen}
)

// contactImport is a checked file: its rows as parallel columns, in file order, "" for an absent
// value (ImportContacts' arrays), and the mistakes found.
type contactImport struct {
	ids                                     []uuid.UUID
	names, emails, phones, companies, notes []string

	errs    []apperr.FieldError
	omitted int
}

func (ci *contactImport) fail(row int, field, msg string) {
	if len(ci.errs) == maxImportErrors {
		ci.omitted++
		return
	}
	r := row
	ci.errs = append(ci.errs, apperr.FieldError{Field: field, Message: msg, Row: &r})
}

func (ci *contactImport) failed() error {
	if len(ci.errs) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.KindUnprocessable, Code: "import_failed",
		Message: "The file has invalid rows; nothing was imported.", Fields: ci.errs, Omitted: ci.omitted}
}

// ImportContacts creates the contacts of a CSV file (see parseContactImport for its format and
// rules), owned by the caller, all or nothing: a file with any invalid row is refused whole
// (422 import_failed, every mistake named by row), one with more than MaxImportRows rows too
// (413 too_many_rows). Rows whose email the organization or an earlier row already has are
// skipped. With dryRun nothing is written, and the counts are those the import would have.
//
// The rows are written by INSERTs of arrays, importChunk rows each (COPY's speed, and ON CONFLICT,
// which COPY lacks, lets the email index itself skip the duplicates, concurrent creations
// included), in one transaction (a savepoint of the request's, under an idempotency key). An
// import emits no webhook events: one per row would flood every subscriber with a delivery per
// imported contact.
func (s *Service) ImportContacts(ctx context.Context, m tenancy.Membership, r io.Reader, dryRun bool) (ImportResult, error) {
	if err := m.Require(tenancy.CreateRecords); err != nil {
		return ImportResult{}, err
	}
	ci, err := parseContactImport(r)
	if err != nil {
		return ImportResult{}, err
	}
	rows := len(ci.ids)
	if rows == 0 {
		return ImportResult{}, nil
	}
	var created int64
	if dryRun {
		created, err = s.q.CountImportableContacts(ctx, db.CountImportableContactsParams{OrganizationID: m.OrganizationID, Emails: ci.emails})
	} else {
		err = s.store.InTx(ctx, func(q *db.Queries) error {
			for lo := 0; lo < rows; lo += importChunk {
				hi := min(lo+importChunk, rows)
				n, err := q.ImportContacts(ctx, db.ImportContactsParams{
					OrganizationID: m.OrganizationID, OwnerID: m.UserID, Ids: ci.ids[lo:hi], Names: ci.names[lo:hi],
					Emails: ci.emails[lo:hi], Phones: ci.phones[lo:hi], Companies: ci.companies[lo:hi], Notes: ci.notes[lo:hi],
				})
				if err != nil {
					return err
				}
				created += n
			}
			return nil
		})
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("import contacts: %w", err)
	}
	return ImportResult{Created: int(created), Skipped: rows - int(created)}, nil
}

// parseContactImport reads and checks a whole CSV file (RFC 4180; a UTF-8 byte-order mark is
// skipped). The header row names the columns, matched case-insensitively and trimmed; it must
// name "name", may name "email", "phone", "company" and "notes", and other columns are ignored. A
// header without name, or naming a column twice, is an error of row 0 and ends the check. Each
// data row must have as many cells as the header; an empty cell is an absent value, and a '
// that the export put in front of a formula character is removed (restore). The values follow
// the rules of POST /contacts: name, email, phone and company trimmed, name required, lengths as
// ContactCreate's, email a valid address; notes kept as given. A row that is not valid CSV ends
// the check (the reader's position after it is not to be trusted).
func parseContactImport(r io.Reader) (*contactImport, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a row of another width is reported by row, not as a parse failure
	cr.ReuseRecord = true
	ci := &contactImport{}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		ci.fail(0, "name", "the header row must name the column")
		return nil, ci.failed()
	}
	if err != nil {
		reason, ok := csvReason(err)
		if !ok {
			return nil, fmt.Errorf("read the import: %w", err)
		}
		ci.fail(0, "row", "is not valid CSV: "+reason)
		return nil, ci.failed()
	}
	width := len(header)
	var at [importColumns]int
	for i := range at {
		at[i] = -1
	}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		for c, name := range importColumnNames {
			if h != name {
				continue
			}
			if at[c] >= 0 {
				ci.fail(0, name, "the header row names the column more than once")
			}
			at[c] = i
		}
	}
	if at[colName] < 0 {
		ci.fail(0, "name", "the header row must name the column")
	}
	if err := ci.failed(); err != nil {
		return nil, err
	}

	var vals [importColumns]string
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if row > MaxImportRows {
			return nil, errTooManyRows
		}
		if err != nil {
			reason, ok := csvReason(err)
			if !ok {
				return nil, fmt.Errorf("read the import: %w", err)
			}
			ci.fail(row, "row", "is not valid CSV: "+reason)
			break
		}
		if len(rec) != width {
			ci.fail(row, "row", fmt.Sprintf("has %d cells, the header row %d", len(rec), width))
			continue
		}
		ok := true
		for c := range vals {
			vals[c] = ""
			if at[c] < 0 {
				continue
			}
			v, msg := importValue(c, rec[at[c]])
			if msg != "" {
				ci.fail(row, importColumnNames[c], msg)
				ok = false
			}
			vals[c] = v
		}
		if !ok || len(ci.errs) > 0 {
			continue // the file fails: the remaining rows are only checked
		}
		ci.ids = append(ci.ids, newID())
		ci.names = append(ci.names, vals[colName])
		ci.emails = append(ci.emails, vals[colEmail])
		ci.phones = append(ci.phones, vals[colPhone])
		ci.companies = append(ci.companies, vals[colCompany])
		ci.notes = append(ci.notes, vals[colNotes])
	}
	if err := ci.failed(); err != nil {
		return nil, err
	}
	return ci, nil
}

// importValue is the value a cell of column c gives, "" for none, or why it is invalid.
func importValue(c int, cell string) (string, string) {
	if !utf8.ValidString(cell) {
		return "", "must be UTF-8 text"
	}
	if strings.ContainsRune(cell, 0) {
		return "", "must not contain the NUL character"
	}
	v := restore(cell)
	if c != colNotes {
		v = strings.TrimSpace(v)
	}
	limit := importLimits[c]
	switch {
	case v == "" && c == colName:
		return "", "is required"
	case v == "":
		return "", ""
	case utf8.RuneCountInString(v) > limit:
		return "", fmt.Sprintf("must be at most %d characters", limit)
	case c == colEmail && ValidEmail(v) != nil:
		return "", "must be a valid email address"
	}
	return v, ""
}

// csvReason is what is wrong with a row encoding/csv could not parse, without its position (the
// row is named separately); false when err is no parse error (the body could not be read).
func csvReason(err error) (string, bool) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error(), true
	}
	return "", false
}
