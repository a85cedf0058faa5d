package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/internal/webhooks"
)

// Contact is a contact as stored.
type Contact = db.Contact

// NewContact is what a caller gives to create a contact.
type NewContact struct {
	Name    string
	Email   *string
	Phone   *string
	Company *string
	Notes   *string
	OwnerID *uuid.UUID // default: the caller
}

// ContactPatch is a partial change to a contact; Email, Phone, Company and Notes may be cleared.
type ContactPatch struct {
	Name    patch.Field[string]
	Email   patch.Field[string]
	Phone   patch.Field[string]
	Company patch.Field[string]
	Notes   patch.Field[string]
	OwnerID patch.Field[uuid.UUID]
}

// ContactFilter narrows a contact list; nil fields do not filter.
type ContactFilter struct {
	OwnerID    *uuid.UUID
	Search     *string // literal, case-insensitive substring of name, email or phone
	OrderBy    string  // created_at | name
	Descending bool
}

// The unique index that keeps a contact's email unique per organization, case-insensitively, and
// the foreign key that keeps a contact with deals from being deleted.
const (
	contactEmailIndex = "contacts_org_email_key"
	dealContactFK     = "deals_contact_fkey"
)

var errContactHasDeals = apperr.Conflict("contact_has_deals", "The contact still has deals; delete or move them first.")

// contactEmailTaken is the 409 for an email another contact of the organization already has;
// existing names that contact when it is known.
func contactEmailTaken(existing uuid.UUID) error {
	e := apperr.Conflict("contact_email_taken", "Another contact of this organization already has this email.")
	if existing != uuid.Nil {
		e.ExistingID = existing
	}
	return e
}

// contactState is the part of a contact the rules look at and the update writes.
type contactState struct {
	Name                         string
	Email, Phone, Company, Notes *string
	OwnerID                      uuid.UUID
}

// contactText normalises an optional single-line field: trimmed, and never blank when given.
func contactText(field string, v *string) (*string, error) {
	if v == nil {
		return nil, nil
	}
	s := strings.TrimSpace(*v)
	if s == "" {
		return nil, apperr.Validation(field, "must not be blank")
	}
	return &s, nil
}

// contactName is a contact's name, trimmed and never blank.
func contactName(v string) (string, error) {
	s, err := contactText("name", &v)
	if err != nil {
		return "", err
	}
	return *s, nil
}

// normalize trims the single-line fields of a new contact (the email is stored as given, trimmed)
// and rejects blank ones; notes are free text and kept as given.
func (in NewContact) normalize() (contactState, error) {
	var st contactState
	var err error
	if st.Name, err = contactName(in.Name); err != nil {
		return st, err
	}
	if st.Email, err = contactText("email", in.Email); err != nil {
		return st, err
	}
	if st.Phone, err = contactText("phone", in.Phone); err != nil {
		return st, err
	}
	if st.Company, err = contactText("company", in.Company); err != nil {
		return st, err
	}
	st.Notes = in.Notes
	return st, nil
}

// patchContactText applies a change to an optional single-line text field: trimmed, never blank.
func patchContactText(field string, cur *string, p patch.Field[string]) (*string, error) {
	if v, ok := p.Value(); ok {
		return contactText(field, &v)
	}
	return p.OrPtr(cur), nil
}

// applyContactPatch decides, without touching the database, whether the caller may make the
// change and what the contact becomes: members change only their own contacts (invisible ones are
// answered as missing), only managers and above change owner_id. Whether a new owner is a member
// and whether a new email is free are for the caller to check.
func applyContactPatch(m tenancy.Membership, cur contactState, p ContactPatch) (contactState, error) {
	if err := requireModify(m, cur.OwnerID); err != nil {
		return cur, err
	}
	next := cur
	var err error
	if owner, ok := p.OwnerID.Value(); ok && owner != cur.OwnerID {
		if !m.Can(tenancy.AssignRecordOwner) {
			return cur, errAssignOwner
		}
		next.OwnerID = owner
	}
	if name, ok := p.Name.Value(); ok {
		if next.Name, err = contactName(name); err != nil {
			return cur, err
		}
	}
	if next.Email, err = patchContactText("email", cur.Email, p.Email); err != nil {
		return cur, err
	}
	if next.Phone, err = patchContactText("phone", cur.Phone, p.Phone); err != nil {
		return cur, err
	}
	if next.Company, err = patchContactText("company", cur.Company, p.Company); err != nil {
		return cur, err
	}
	next.Notes = p.Notes.OrPtr(cur.Notes) // free text, kept as given
	return next, nil
}

func contactStateOf(c Contact) contactState {
	return contactState{Name: c.Name, Email: c.Email, Phone: c.Phone, Company: c.Company, Notes: c.Notes, OwnerID: c.OwnerID}
}

func (st contactState) equal(o contactState) bool {
	return st.Name == o.Name && st.OwnerID == o.OwnerID && sameOptional(st.Email, o.Email) &&
		sameOptional(st.Phone, o.Phone) && sameOptional(st.Company, o.Company) && sameOptional(st.Notes, o.Notes)
}

// emailTaken answers an insert or update refused by the unique email index (contacts_org_email_key
// is the one check, races included): the transaction is aborted, so the other contact is looked up
// outside it for existing_id, which only a caller who may see that contact is told.
func (s *Service) emailTaken(ctx context.Context, m tenancy.Membership, email string) error {
	other, err := s.q.FindContactByEmail(ctx, db.FindContactByEmailParams{OrganizationID: m.OrganizationID, Email: email})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !visible(m, other.OwnerID)) {
		return contactEmailTaken(uuid.Nil)
	}
	if err != nil {
		return fmt.Errorf("find contact by email: %w", err)
	}
	return contactEmailTaken(other.ID)
}

// CreateContact creates a contact owned by the caller, or by a member chosen by a manager or above.
func (s *Service) CreateContact(ctx context.Context, m tenancy.Membership, in NewContact) (Contact, error) {
	if err := m.Require(tenancy.CreateRecords); err != nil {
		return Contact{}, err
	}
	st, err := in.normalize()
	if err != nil {
		return Contact{}, err
	}
	var c Contact
	err = s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		owner, err := resolveOwner(ctx, q, m, in.OwnerID)
		if err != nil {
			return err
		}
		c, err = q.CreateContact(ctx, db.CreateContactParams{
			OrganizationID: m.OrganizationID, ID: newID(), OwnerID: owner, Name: st.Name,
			Email: st.Email, Phone: st.Phone, Company: st.Company, Notes: st.Notes,
		})
		if err != nil {
			return err
		}
		return s.contactEvent(ctx, tx, q, webhooks.ContactCreated, c, nil)
	})
	if platform.IsUniqueViolation(err, contactEmailIndex) {
		return Contact{}, s.emailTaken(ctx, m, *st.Email)
	}
	if err != nil {
		return Contact{}, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// GetContact returns a contact the caller may see.
func (s *Service) GetContact(ctx context.Context, m tenancy.Membership, id uuid.UUID) (Contact, error) {
	c, err := found(s.q.GetContact(ctx, db.GetContactParams{OrganizationID: m.OrganizationID, ID: id}))
	if err != nil {
		return Contact{}, err
	}
	return c, requireVisible(m, c.OwnerID)
}

// ListContacts returns a page of the contacts the caller may see, ordered by f.OrderBy and then id.
// A search is served by the trigram index and paged by offset; the plain list by the index of its
// order, from the cursor's position when there is one.
func (s *Service) ListContacts(ctx context.Context, m tenancy.Membership, f ContactFilter, p paging.Request) (paging.Page[Contact], error) {
	owner, err := ownerFilter(m, f.OwnerID)
	if err != nil {
		return paging.Page[Contact]{}, err
	}
	if f.OrderBy == "" {
		f.OrderBy = "created_at"
	}
	var fetch paging.Fetch[contactRow]
	if f.Search != nil {
		args := db.SearchContactsParams{
			OrganizationID: m.OrganizationID, OwnerID: owner, Search: *likePattern(f.Search),
			OrderBy: f.OrderBy, Descending: f.Descending,
		}
		fetch = func(limit, offset int32, _ *paging.Key) ([]contactRow, error) {
			args.PageLimit, args.PageOffset = limit, offset
			return contactRows(s.q.SearchContacts(ctx, args))
		}
	} else {
		fetch = func(limit, offset int32, after *paging.Key) ([]contactRow, error) {
			args := db.ListContactsByCreatedAtAscParams{OrganizationID: m.OrganizationID, OwnerID: owner, PageLimit: limit, PageOffset: offset}
			args.AfterKey, args.AfterID = after.Args()
			return s.contactsInOrder(ctx, f.OrderBy, f.Descending, args)
		}
	}
	key := func(c Contact) paging.Key {
		if f.OrderBy == "name" {
			return paging.Key{Value: c.Name, ID: c.ID}
		}
		return paging.Key{Value: paging.TimeKey(c.CreatedAt), ID: c.ID}
	}
	page, err := paging.ListAnchored(s.anchors, view(owner), p, f.Search == nil, fetch,
		func(r contactRow) (Contact, int64, int64) { return r.Contact, r.Total, r.ListVersion }, key)
	if err != nil {
		return page, fmt.Errorf("list contacts: %w", err)
	}
	return page, nil
}

// contactsInOrder runs the list query of the order.
func (s *Service) contactsInOrder(ctx context.Context, by string, desc bool, a db.ListContactsByCreatedAtAscParams) ([]contactRow, error) {
	switch {
	case by == "name" && desc:
		return contactRows(s.q.ListContactsByNameDesc(ctx, db.ListContactsByNameDescParams(a)))
	case by == "name":
		return contactRows(s.q.ListContactsByNameAsc(ctx, db.ListContactsByNameAscParams(a)))
	case desc:
		return contactRows(s.q.ListContactsByCreatedAtDesc(ctx, db.ListContactsByCreatedAtDescParams(a)))
	default:
		return contactRows(s.q.ListContactsByCreatedAtAsc(ctx, a))
	}
}

// UpdateContact applies a partial change under applyContactPatch's rules, with the contact row
// locked for the transaction so concurrent changes are serialised. pre, when not nil, is checked on
// the locked row first (a caller who may not change the contact is answered that instead). A patch
// that changes nothing writes nothing.
func (s *Service) UpdateContact(ctx context.Context, m tenancy.Membership, id uuid.UUID, p ContactPatch, pre Precondition) (Contact, error) {
	var out Contact
	var next contactState
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		cur, err := found(q.GetContactForUpdate(ctx, db.GetContactForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, cur.OwnerID); err != nil {
			return err
		}
		if err := pre.check(cur.ID, cur.UpdatedAt); err != nil {
			return err
		}
		was := contactStateOf(cur)
		next, err = applyContactPatch(m, was, p)
		if err != nil {
			return err
		}
		if next.equal(was) {
			out = cur
			return nil
		}
		if next.OwnerID != cur.OwnerID {
			if _, err := resolveOwner(ctx, q, m, &next.OwnerID); err != nil {
				return err
			}
		}
		out, err = q.UpdateContact(ctx, db.UpdateContactParams{
			OrganizationID: m.OrganizationID, ID: id, Name: next.Name, Email: next.Email,
			Phone: next.Phone, Company: next.Company, Notes: next.Notes, OwnerID: next.OwnerID,
		})
		if err != nil {
			return err
		}
		return s.contactEvent(ctx, tx, q, webhooks.ContactUpdated, out, &cur)
	})
	if platform.IsUniqueViolation(err, contactEmailIndex) {
		return Contact{}, s.emailTaken(ctx, m, *next.Email)
	}
	if err != nil {
		return Contact{}, fmt.Errorf("update contact: %w", err)
	}
	return out, nil
}

// DeleteContact deletes a contact that has no deals; pre, when not nil, is checked on the locked row
// after the permission check.
func (s *Service) DeleteContact(ctx context.Context, m tenancy.Membership, id uuid.UUID, pre Precondition) error {
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		c, err := found(q.GetContactForUpdate(ctx, db.GetContactForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, c.OwnerID); err != nil {
			return err
		}
		if err := pre.check(c.ID, c.UpdatedAt); err != nil {
			return err
		}
		if _, err = q.DeleteContact(ctx, db.DeleteContactParams{OrganizationID: m.OrganizationID, ID: id}); err != nil {
			return err
		}
		return s.contactEvent(ctx, tx, q, webhooks.ContactDeleted, c, nil)
	})
	if platform.IsForeignKeyViolation(err, dealContactFK) { // the composite key is the one check
		return errContactHasDeals
	}
	if err != nil {
		return fmt.Errorf("delete contact: %w", err)
	}
	return nil
}
