// Package crmsdk is the Go SDK of the Mini-CRM API: a thin convenience layer over the generated,
// fully typed client in github.com/minicrm/crm/gen/client.
//
// A [Client] embeds the generated *client.ClientWithResponses, so every operation of openapi.yaml
// is available as a typed method (CreateDealWithResponse, GetDealSummaryWithResponse, ...). On top
// of it the Client keeps the session:
//
//   - it sends "Authorization: Bearer <access token>" and, once an organization is selected with
//     [Client.SetOrganization], "X-Organization-Id" on every request to the API;
//   - when an authenticated request answers 401, it exchanges the refresh token at
//     POST /api/v1/auth/refresh, stores the new (rotated) pair and retries the request once.
//     Concurrent 401s share one refresh: the server revokes the whole session when a refresh
//     token is presented twice, so two parallel refreshes would log the user out;
//   - if the refresh is refused, the tokens are cleared and the original 401 is returned.
//
// Non-2xx answers become a [*ProblemError] (the RFC 9457 problem document with its stable code)
// through [Ok] or [Check]:
//
//	c, err := crmsdk.New("https://crm.example.com")
//	if err != nil {
//		return err
//	}
//	if _, err := c.Login(ctx, "ada@example.com", "correct-horse-battery"); err != nil {
//		return err
//	}
//	c.SetOrganization(orgID)
//	res, err := crmsdk.Ok(c.CreateContactWithResponse(ctx, client.ContactCreate{Name: "Charles Babbage"}))
//	if err != nil {
//		return err // errors.As(err, new(*crmsdk.ProblemError)) for the problem's code
//	}
//	fmt.Println(res.JSON201.Id)
//
// Lists (contacts, deals, tasks, a deal's activities, an organization's members) come a page at a
// time. The iterators [Client.Contacts], [Client.Deals], [Client.Tasks], [Client.Activities] and
// [Client.Members] page by cursor for you, with the same filters on every page, and stop at the
// last one, at the first error (which they yield) or when the loop breaks:
//
//	pageSize, stage := client.PageSize(100), client.DealStageProposal
//	for deal, err := range c.Deals(ctx, &client.ListDealsParams{Stage: &stage, PageSize: &pageSize}) {
//		if err != nil {
//			return err // e.g. a *crmsdk.ProblemError
//		}
//		fmt.Println(deal.Title, deal.Amount)
//	}
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
// Contacts, deals and tasks carry an entity tag ([ETag]). [IfMatch] makes a change conditional
// (a stale tag is 412 [ErrPreconditionFailed], whose ProblemError carries the current tag) and
// [IfNoneMatch] a read (304, which [Ok] does not treat as an error; see [NotModified]):
//
//	got, err := crmsdk.Ok(c.GetDealWithResponse(ctx, id))
//	if err != nil {
//		return err
//	}
//	stage := client.DealStageNegotiation
//	_, err = crmsdk.Ok(c.UpdateDealWithResponse(ctx, id, client.DealUpdate{Stage: &stage}, crmsdk.IfMatch(crmsdk.ETag(got))))
//	var pe *crmsdk.ProblemError
//	if errors.Is(err, crmsdk.ErrPreconditionFailed) && errors.As(err, &pe) {
//		// changed by someone else since it was read; pe.ETag() is its current tag
//	}
//
// Account security: [Client.UpdateMe] renames the caller; [Client.ChangePassword] replaces the
// password and ends every other session, keeping this client's tokens (a wrong current password is
// 403 "invalid_credentials", which neither refreshes nor clears the session); [Client.Sessions]
// lists the caller's sessions, this client's marked Current; [Client.EndSession] ends one, and
// [Client.LogoutAll] all of them. After LogoutAll, or ending its own session, the Client clears
// its tokens as [Client.Logout] does. ChangePassword and LogoutAll, like every authenticated POST,
// carry an Idempotency-Key and are retried:
//
//	if err := c.ChangePassword(ctx, oldPassword, newPassword); crmsdk.IsProblem(err, crmsdk.CodeInvalidCredentials) {
//		// the current password is wrong; the session is fine
//	}
//	sessions, err := c.Sessions(ctx)
//	if err != nil {
//		return err
//	}
//	for _, s := range sessions {
//		if !s.Current {
//			_ = c.EndSession(ctx, s.Id) // sign out that device
//		}
//	}
//
// To keep a session across restarts, resume it with [WithTokens] and persist every change with
// [WithTokenCallback]: refresh tokens rotate, and an old one presented again ends the session.
package crmsdk
