// Package crmsdk is the Go SDK of the Mini-CRM API, in the go-github style: a [Client] holds the
// session and offers one service per area of the API, whose methods take and return the API's
// documents:
//
//	c, err := crmsdk.New("https://crm.example.com")
//	if err != nil {
//		return err
//	}
//	if _, err := c.Auth.Login(ctx, "ada@example.com", "correct-horse-battery"); err != nil {
//		return err
//	}
//	c.SetOrganization(orgID)
//	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"})
//	if err != nil {
//		return err // a *crmsdk.ProblemError for an error answer
//	}
//	stage := crmsdk.DealStageProposal
//	deal, err := c.Deals.Update(ctx, dealID, crmsdk.DealUpdate{Stage: &stage})
//
// The services: [Client.Auth] (register, login, refresh, logout), [Client.Account] (the caller,
// password, sessions), [Client.Organizations], [Client.Members], [Client.Invitations],
// [Client.Contacts] (with CSV export and import), [Client.Deals], [Client.Activities] (a deal's
// timeline), [Client.Tasks], [Client.Analytics], [Client.Webhooks] and [Client.Health]. Every
// operation of openapi.yaml has a method on one of them. The types (Contact, DealUpdate,
// ListDealsParams, ...) and enum values (DealStatusWon, RoleAdmin, ...) are those of the generated
// client github.com/minicrm/crm/gen/client, re-exported here (types_gen.go), so one import is
// enough.
//
// The session: the Client sends "Authorization: Bearer <access token>" and, once an organization
// is selected with [Client.SetOrganization], "X-Organization-Id" on every request to the API.
// When an authenticated request answers 401, it exchanges the refresh token at
// POST /api/v1/auth/refresh, stores the new (rotated) pair and retries the request once.
// Concurrent 401s share one refresh: the server revokes the whole session when a refresh token is
// presented twice, so two parallel refreshes would log the user out. If the refresh is refused,
// the tokens are cleared and the original 401 is returned.
//
// Errors: an error answer is a [*ProblemError], the RFC 9457 problem document with its stable
// code. The codes of the contract are constants generated from openapi.yaml (CodeNotFound,
// CodeContactEmailTaken, ...; codes_gen.go); test them with [IsProblem], or errors.Is with the
// sentinels such as [ErrPreconditionFailed] and [ErrNotFound]:
//
//	_, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles", Email: &email})
//	if crmsdk.IsProblem(err, crmsdk.CodeContactEmailTaken) {
//		// a contact of the organization has that email
//	}
//
// Lists come a page at a time from List, and as an iterator over every item from All, which
// pages by cursor with the same filters on every page and stops at the last one, at the first
// error (which it yields) or when the loop breaks:
//
//	pageSize, stage := crmsdk.PageSize(100), crmsdk.DealStageProposal
//	for deal, err := range c.Deals.All(ctx, &crmsdk.ListDealsParams{Stage: &stage, PageSize: &pageSize}) {
//		if err != nil {
//			return err // e.g. a *crmsdk.ProblemError
//		}
//		fmt.Println(deal.Title, deal.Amount)
//	}
//
// Every service method takes [RequestOption] values last: [IfMatch], [IfNoneMatch] and
// [IdempotencyKey] add a header, [CaptureETag] and [CaptureResponse] hand back what the answer
// carries beside its document.
//
// The generated client stays at hand: the Client embeds *client.ClientWithResponses, so every
// operation is also a typed low-level method (CreateDealWithResponse, ...), whose answers [Ok]
// turns into a [*ProblemError].
//
// Every authenticated POST gets a fresh Idempotency-Key (a UUID) unless it has one
// ([IdempotencyKey]) or [WithoutIdempotencyKeys] is given, and transient failures are retried
// with the same key and body ([WithRetry]: by default up to 3 attempts, exponential backoff with
// jitter, Retry-After honoured, the context's end respected): answers 429 and 503, 409
// idempotency_key_in_use and transport errors, for GET and HEAD, keyed POSTs, and PATCH or DELETE
// with If-Match. The server runs a keyed POST once, so a retry after a lost answer gets the stored
// answer ([Replayed]) instead of creating a second record. A PATCH or DELETE without If-Match is
// never retried (the first attempt may have been applied); with If-Match it cannot be applied
// twice, since the first application changes the entity tag.
//
// Contacts, deals and tasks carry an entity tag ([CaptureETag]). [IfMatch] makes a change
// conditional (a stale tag is 412 [ErrPreconditionFailed], whose ProblemError carries the current
// tag) and [IfNoneMatch] a read (304: [ErrNotModified]):
//
//	var etag string
//	deal, err := c.Deals.Get(ctx, id, crmsdk.CaptureETag(&etag))
//	if err != nil {
//		return err
//	}
//	stage := crmsdk.DealStageNegotiation
//	_, err = c.Deals.Update(ctx, id, crmsdk.DealUpdate{Stage: &stage}, crmsdk.IfMatch(etag))
//	var pe *crmsdk.ProblemError
//	if errors.Is(err, crmsdk.ErrPreconditionFailed) && errors.As(err, &pe) {
//		// changed by someone else since it was read; pe.ETag() is its current tag
//	}
//
// Account security: [AccountService.Update] renames the caller; [AccountService.ChangePassword]
// replaces the password and ends every other session, keeping this client's tokens (a wrong
// current password is 403 "invalid_credentials", which neither refreshes nor clears the session);
// [AccountService.Sessions] lists the caller's sessions, this client's marked Current;
// [AccountService.EndSession] ends one, and [AuthService.LogoutAll] all of them. After LogoutAll,
// or ending its own session, the Client clears its tokens as [Client.Logout] does. ChangePassword
// and LogoutAll, like every authenticated POST, carry an Idempotency-Key and are retried:
//
//	if err := c.Account.ChangePassword(ctx, oldPassword, newPassword); crmsdk.IsProblem(err, crmsdk.CodeInvalidCredentials) {
//		// the current password is wrong; the session is fine
//	}
//	sessions, err := c.Account.Sessions(ctx)
//	if err != nil {
//		return err
//	}
//	for _, s := range sessions {
//		if !s.Current {
//			_ = c.Account.EndSession(ctx, s.Id) // sign out that device
//		}
//	}
//
// To keep a session across restarts, resume it with [WithTokens] and persist every change with
// [WithTokenCallback]: refresh tokens rotate, and an old one presented again ends the session.
package crmsdk
