package crmsdk

import (
	"bytes"
	"context"
	"io"
	"iter"
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// ContactsService handles the contacts of the selected organization ([Client.SetOrganization]):
// /api/v1/contacts.
type ContactsService service

// List returns one page of the contacts matching params (nil for the first page of all).
func (s *ContactsService) List(ctx context.Context, params *ListContactsParams, opts ...RequestOption) (*ContactList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListContactsResponse, error) {
		return s.c.ListContactsWithResponse(ctx, params, o...)
	}, func(r *client.ListContactsResponse) *ContactList { return r.JSON200 })
}

// All iterates over the contacts matching params (nil for all), in the server's order, paging by
// cursor:
//
//	for contact, err := range c.Contacts.All(ctx, &crmsdk.ListContactsParams{Search: &name}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(contact.Name)
//	}
//
// The first request is sent with params as they are; every further one with the same params and
// cursor set to the previous page's next_cursor, until a page comes without one. params is
// copied when All is called and never modified (what its pointers point to is shared: leave it
// alone while a loop runs). A params.Cursor the caller set is where the iteration starts (say, to
// resume an earlier one); params.Page applies to the first request only, as a cursor names its
// page.
//
// A failed request (a transport error, a canceled ctx, an error answer as a [*ProblemError], e.g.
// 403 "not_a_member" or 400 "invalid_cursor") is yielded once, with the zero item, and ends the
// iteration. Breaking out of the loop ends it too: no further page is requested. Nothing is
// requested before the loop starts, and every loop over the iterator starts again from the first
// page.
//
// The organization is the one selected when the loop starts; it is sent with every page, so a
// [Client.SetOrganization] meanwhile does not move the iteration to another organization.
//
// The All methods of the other services work the same way.
func (s *ContactsService) All(ctx context.Context, params *ListContactsParams, opts ...RequestOption) iter.Seq2[Contact, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]Contact, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.List(ctx, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Create creates a contact owned by the caller (or by body.OwnerId). A duplicate email is 409
// "contact_email_taken". Like every authenticated POST it carries an Idempotency-Key and is
// retried (see [WithRetry]).
func (s *ContactsService) Create(ctx context.Context, body ContactCreate, opts ...RequestOption) (*Contact, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.CreateContactResponse, error) {
		return s.c.CreateContactWithResponse(ctx, body, o...)
	}, func(r *client.CreateContactResponse) *Contact { return r.JSON201 })
}

// Get returns a contact; "not_found" when it is not in the organization. With [IfNoneMatch] and
// a current tag it returns [ErrNotModified]; [CaptureETag] keeps the tag.
func (s *ContactsService) Get(ctx context.Context, id uuid.UUID, opts ...RequestOption) (*Contact, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetContactResponse, error) {
		return s.c.GetContactWithResponse(ctx, id, o...)
	}, func(r *client.GetContactResponse) *Contact { return r.JSON200 })
}

// Update changes the fields patch sets (a nullable field set to null clears it). With
// [IfMatch] it changes the contact only while it has that tag (412 [ErrPreconditionFailed]
// otherwise), and may then be retried.
func (s *ContactsService) Update(ctx context.Context, id uuid.UUID, patch ContactUpdate, opts ...RequestOption) (*Contact, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.UpdateContactResponse, error) {
		return s.c.UpdateContactWithResponse(ctx, id, patch, o...)
	}, func(r *client.UpdateContactResponse) *Contact { return r.JSON200 })
}

// Delete deletes a contact; one that still has deals is 409 "contact_has_deals". [IfMatch]
// works as for Update.
func (s *ContactsService) Delete(ctx context.Context, id uuid.UUID, opts ...RequestOption) error {
	return doNone(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.DeleteContactResponse, error) {
		return s.c.DeleteContactWithResponse(ctx, id, o...)
	})
}

// Export returns the contacts matching params (nil for all) as a CSV document (RFC 4180, with a
// header row), the format Import reads.
func (s *ContactsService) Export(ctx context.Context, params *ExportContactsParams, opts ...RequestOption) ([]byte, error) {
	res, err := send(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ExportContactsResponse, error) {
		return s.c.ExportContactsWithResponse(ctx, params, o...)
	})
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// Import creates the contacts of a CSV document (a header row naming at least "name"), all or
// nothing: any invalid row is 422 "import_failed", whose [ProblemError.FieldErrors] name the
// rows. Contacts whose email the organization already has are skipped. With params.DryRun the
// file is only checked and counted. The body is read into memory (at most 10 MiB are accepted),
// so that a retry can send it again.
func (s *ContactsService) Import(ctx context.Context, csv io.Reader, params *ImportContactsParams, opts ...RequestOption) (*ContactImportResult, error) {
	body, err := io.ReadAll(csv)
	if err != nil {
		return nil, err
	}
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ImportContactsResponse, error) {
		return s.c.ImportContactsWithBodyWithResponse(ctx, params, "text/csv", bytes.NewReader(body), o...)
	}, func(r *client.ImportContactsResponse) *ContactImportResult { return r.JSON200 })
}
