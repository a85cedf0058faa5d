package httpapi

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/tenancy"
)

// importPath is the route of the CSV import, the one operation whose body may exceed BodyLimit.
const importPath = "/api/v1/contacts/import"

// ImportBodyLimit is the largest CSV body the import accepts: 10 MiB, 10,485,760 bytes.
const ImportBodyLimit = "10MiB"

// The import's own words for the edge's refusals, which otherwise name the JSON operations' limit
// and media type.
var (
	errImportTooLarge = &apperr.Error{Kind: apperr.KindTooLarge, Code: "payload_too_large",
		Message: "The import body is over 10 MiB (10,485,760 bytes)."}
	errImportMediaType = &apperr.Error{Kind: apperr.KindUnsupportedMediaType, Code: "unsupported_media_type",
		Message: "The request body must be text/csv."}
)

// bodyLimits bounds request bodies: BodyLimit everywhere but on the import, whose files may be
// ImportBodyLimit, and whose refusals (too large, not CSV) say so.
func bodyLimits(next echo.HandlerFunc) echo.HandlerFunc {
	general := middleware.BodyLimit(BodyLimit)(next)
	imports := middleware.BodyLimit(ImportBodyLimit)(next)
	return func(c echo.Context) error {
		if c.Path() != importPath {
			return general(c)
		}
		err := imports(c)
		if err == nil {
			return nil
		}
		switch ae := clientError(err); {
		case ae.Kind == apperr.KindTooLarge && ae.Code == errTooLarge.Code:
			return errImportTooLarge.WithCause(err)
		case ae.Kind == apperr.KindUnsupportedMediaType:
			return errImportMediaType.WithCause(err)
		}
		return err
	}
}

var csvDecoderOnce sync.Once

// RegisterCSVBody makes the request validator take a text/csv body as it is: kin-openapi's own
// text/csv decoder parses the whole file (and fails a row of another width as an undecodable
// body), while the import checks the file itself and names every mistake by row. Like
// RegisterStrictJSON, process-wide; New calls it, and it is safe to call again.
func RegisterCSVBody() {
	csvDecoderOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("text/csv", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			raw, err := readBody(body)
			if err != nil {
				return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
			}
			return string(raw), nil
		})
	})
}

// ExportContacts streams the contacts as CSV.
func (s *Server) ExportContacts(ctx context.Context, req api.ExportContactsRequestObject) (api.ExportContactsResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	exp, err := s.crm.ExportContacts(m, crm.ContactFilter{OwnerID: req.Params.OwnerId, Search: req.Params.Search})
	if err != nil {
		return nil, err
	}
	return csvAnswer{ctx: ctx, export: exp, filename: "contacts.csv"}, nil
}

// ExportDeals streams the deals as CSV.
func (s *Server) ExportDeals(ctx context.Context, req api.ExportDealsRequestObject) (api.ExportDealsResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := crm.DealFilter{
		Stage: (*string)(p.Stage), MinAmount: p.MinAmount, MaxAmount: p.MaxAmount,
		OwnerID: p.OwnerId, ContactID: p.ContactId, Search: p.Search,
	}
	if p.Status != nil {
		for _, st := range *p.Status {
			f.Statuses = append(f.Statuses, string(st))
		}
	}
	exp, err := s.crm.ExportDeals(m, f)
	if err != nil {
		return nil, err
	}
	return csvAnswer{ctx: ctx, export: exp, filename: "deals.csv"}, nil
}

// ImportContacts creates the contacts of a CSV file, all or nothing.
func (s *Server) ImportContacts(ctx context.Context, req api.ImportContactsRequestObject) (api.ImportContactsResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	dryRun := req.Params.DryRun != nil && *req.Params.DryRun
	res, err := s.crm.ImportContacts(ctx, m, req.Body, dryRun)
	if err != nil {
		return nil, err
	}
	return api.ImportContacts200JSONResponse{Body: api.ContactImportResult{
		Created: res.Created, Skipped: res.Skipped, Errors: []api.FieldError{},
	}}, nil
}

// csvAnswer is an export's answer: it is written while the records are read, instead of being
// built in memory first (the generated text/csv answer copies from an io.Reader).
type csvAnswer struct {
	ctx      context.Context // the request's: its deadline bounds the export
	export   *crm.Export
	filename string
}

func (a csvAnswer) VisitExportContactsResponse(w http.ResponseWriter) error { return a.write(w) }

func (a csvAnswer) VisitExportDealsResponse(w http.ResponseWriter) error { return a.write(w) }

// write streams the export. A failure before the first byte (the first read) is answered as
// problem+json like any other; one after it cannot be any more, and the connection is cut instead
// (http.ErrAbortHandler, which the recover middleware passes on to net/http) so that the client
// sees a broken transfer, never a truncated file that looks whole.
func (a csvAnswer) write(w http.ResponseWriter) error {
	started := false
	err := a.export.Write(a.ctx, w, func() {
		h := w.Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, `attachment; filename="`+a.filename+`"`)
		w.WriteHeader(http.StatusOK)
		started = true
	}, func() { _ = http.NewResponseController(w).Flush() })
	if err != nil && started {
		panic(http.ErrAbortHandler)
	}
	return err
}
