package crmsdk

import (
	"context"
	"errors"
	"net/http"

	"github.com/minicrm/crm/gen/client"
)

// RequestOption adjusts one request of a service method: a header ([IfMatch], [IfNoneMatch],
// [IdempotencyKey]), or a look at the answer ([CaptureResponse], [CaptureETag]). Any
// client.RequestEditorFn is one.
type RequestOption = client.RequestEditorFn

// ErrNotModified is the error of a Get sent with [IfNoneMatch] whose entity tag is still current
// (304 Not Modified): the copy the caller holds is up to date, and no object is returned.
var ErrNotModified = errors.New("crmsdk: not modified")

// service is the common part of every service of a [Client] (the go-github layout): each service
// type is a named copy of it, so that it gets its own method set.
type service struct {
	c *Client
}

// initServices gives the Client its services; they share the Client's session, retries and
// idempotency keys.
func (c *Client) initServices() {
	s := service{c: c}
	c.Auth = (*AuthService)(&s)
	c.Account = (*AccountService)(&s)
	c.Organizations = (*OrganizationsService)(&s)
	c.Members = (*MembersService)(&s)
	c.Invitations = (*InvitationsService)(&s)
	c.Contacts = (*ContactsService)(&s)
	c.Deals = (*DealsService)(&s)
	c.Activities = (*ActivitiesService)(&s)
	c.Tasks = (*TasksService)(&s)
	c.Analytics = (*AnalyticsService)(&s)
	c.Webhooks = (*WebhooksService)(&s)
	c.Health = (*HealthService)(&s)
}

// callKey carries the *callState of one service call in its context: the capture options are
// request editors, which see the context of the call but not its answer.
type callKey struct{}

// callState collects what the capture options of one call want to hear about the answer.
type callState struct {
	sinks []func(*http.Response)
}

// CaptureResponse makes a service method store the *http.Response of its answer in *dst (its
// status and headers: ETag, Idempotent-Replayed, RateLimit, X-Request-Id; the body has been
// read). It is set for error answers too, and left alone when no answer came. It works with the
// methods of the services only; with a method of the generated client, use the response it
// returns.
func CaptureResponse(dst **http.Response) RequestOption {
	return capture(func(r *http.Response) { *dst = r })
}

// CaptureETag makes a service method store the entity tag of its answer in *dst ("" when the
// answer has none): keep it to send with [IfMatch] or [IfNoneMatch] later.
//
//	var etag string
//	deal, err := c.Deals.Get(ctx, id, crmsdk.CaptureETag(&etag))
//	...
//	deal, err = c.Deals.Update(ctx, id, patch, crmsdk.IfMatch(etag))
//
// After a 412 precondition_failed it holds the current tag. Like [CaptureResponse] it works with
// the methods of the services only.
func CaptureETag(dst *string) RequestOption {
	return capture(func(r *http.Response) { *dst = r.Header.Get(ETagHeader) })
}

func capture(sink func(*http.Response)) RequestOption {
	return func(ctx context.Context, _ *http.Request) error {
		if st, ok := ctx.Value(callKey{}).(*callState); ok {
			st.sinks = append(st.sinks, sink) //nolint:bodyclose // sinks see answers whose body the generated client has read and closed
		}
		return nil
	}
}

// sender is one call of the generated client with the service method's arguments bound.
type sender[R Response] func(ctx context.Context, opts ...client.RequestEditorFn) (R, error)

// send makes the call, hands its answer to the capture options and turns an error answer into a
// [*ProblemError].
func send[R Response](ctx context.Context, opts []RequestOption, call sender[R]) (R, error) {
	st := &callState{}
	res, err := Ok(call(context.WithValue(ctx, callKey{}, st), opts...))
	if len(st.sinks) > 0 && !isNil(res) {
		if hr := httpResponse(res); hr != nil { //nolint:bodyclose // read and closed by the generated client
			for _, sink := range st.sinks {
				sink(hr)
			}
		}
	}
	return res, err
}

// do sends a call whose success carries a document, and returns the document: body picks it out
// of the generated response. A 304 (to [IfNoneMatch]) is [ErrNotModified].
func do[R Response, T any](ctx context.Context, opts []RequestOption, call sender[R], body func(R) *T) (*T, error) {
	res, err := send(ctx, opts, call)
	if err != nil {
		return nil, err
	}
	if NotModified(res) {
		return nil, ErrNotModified
	}
	if v := body(res); v != nil {
		return v, nil
	}
	return nil, unexpected(res.StatusCode(), bodyOf(res))
}

// doNone sends a call whose success has no body (204).
func doNone[R Response](ctx context.Context, opts []RequestOption, call sender[R]) error {
	_, err := send(ctx, opts, call)
	return err
}

// httpResponse is the HTTPResponse field of a generated response.
func httpResponse(res any) *http.Response {
	f, ok := fieldOf(res, "HTTPResponse")
	if !ok || !f.CanInterface() {
		return nil
	}
	hr, _ := f.Interface().(*http.Response)
	return hr
}
