package crmsdk

import (
	"context"
	"net/http"

	"github.com/minicrm/crm/gen/client"
)

// Headers of conditional and idempotent requests. The generated client leaves them out of its
// parameters (gen/client/overlay.yaml): send them with the request editors below.
const (
	IfMatchHeader            = "If-Match"
	IfNoneMatchHeader        = "If-None-Match"
	ETagHeader               = "ETag"
	IdempotencyKeyHeader     = "Idempotency-Key"
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

// IfMatch sends "If-Match: etag" (a PATCH or DELETE of a contact, deal or task): the change is made
// only while the object still has that entity tag, as read from [ETag]; otherwise the answer is
// 412 precondition_failed ([ErrPreconditionFailed]), whose [ProblemError.ETag] is the current one:
//
//	res, err := crmsdk.Ok(c.UpdateDealWithResponse(ctx, id, patch, crmsdk.IfMatch(etag)))
//	if errors.Is(err, crmsdk.ErrPreconditionFailed) {
//		// someone else changed the deal since it was read: read it again, merge, retry
//	}
//
// A request with If-Match (other than "*") is also safe to retry; see [WithRetry].
func IfMatch(etag string) client.RequestEditorFn {
	return setHeader(IfMatchHeader, etag)
}

// IfNoneMatch sends "If-None-Match: etag" (a GET of a contact, deal or task): while the object
// still has that entity tag the answer is 304 Not Modified without a body, which [Ok] and [Check]
// do not treat as an error; test it with [NotModified].
//
//	res, err := crmsdk.Ok(c.GetContactWithResponse(ctx, id, crmsdk.IfNoneMatch(etag)))
//	if err != nil {
//		return err
//	}
//	if crmsdk.NotModified(res) {
//		// the copy read with etag is still current
//	}
func IfNoneMatch(etag string) client.RequestEditorFn {
	return setHeader(IfNoneMatchHeader, etag)
}

// IdempotencyKey sends "Idempotency-Key: key" (1 to 255 printable ASCII characters) with an
// authenticated POST, instead of the fresh key the Client makes up for each call. Use it to retry a
// POST yourself across calls (say, after a restart): the server runs a request once per key and
// answers the same key again with the stored answer. The same key with another body is
// 422 idempotency_key_mismatch ([ErrIdempotencyKeyMismatch]).
func IdempotencyKey(key string) client.RequestEditorFn {
	return setHeader(IdempotencyKeyHeader, key)
}

func setHeader(name, value string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}

// ETag returns the entity tag of an answer ("" when it has none): a response of the generated
// client (*client.GetDealResponse, ...), an *http.Response, or an error holding a [*ProblemError]
// (the current tag of a 412). Contacts, deals and tasks carry one on GET, POST and PATCH and on a
// 304; keep it to send with [IfMatch] or [IfNoneMatch].
func ETag(res any) string {
	if h := headerOf(res); h != nil {
		return h.Get(ETagHeader)
	}
	return ""
}

// NotModified reports whether res is a 304 Not Modified answer (to [IfNoneMatch]).
func NotModified(res Response) bool {
	return !isNil(res) && res.StatusCode() == http.StatusNotModified
}

// Replayed reports whether res is the stored answer of an earlier request with the same
// Idempotency-Key (Idempotent-Replayed: true).
func Replayed(res any) bool {
	h := headerOf(res)
	return h != nil && h.Get(IdempotentReplayedHeader) == "true"
}

// headerOf returns the headers of an answer: an *http.Response, a [*ProblemError] (or an error
// wrapping one), or a generated response struct with its HTTPResponse field; nil otherwise.
func headerOf(res any) http.Header {
	switch r := res.(type) {
	case nil:
		return nil
	case *http.Response:
		if r == nil {
			return nil
		}
		return r.Header
	case error:
		var pe *ProblemError
		if asProblem(r, &pe) {
			return pe.Header
		}
		return nil
	}
	f, ok := fieldOf(res, "HTTPResponse")
	if !ok || !f.CanInterface() {
		return nil
	}
	if hr, ok := f.Interface().(*http.Response); ok && hr != nil {
		return hr.Header
	}
	return nil
}
