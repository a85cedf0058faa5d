package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/crm"
)

// The answer side of a read: a page of 20 contacts converted and encoded as the strict handler
// does it, and the per-request log line. Run with
//
//	go test -run '^$' -bench 'Encode|ToContact|LogLine' -count 10 ./internal/httpapi

// benchContactRows are 20 stored contacts: every other one with all optional fields set, the
// rest with them null (nullable fields are the costly part of encoding a contact).
func benchContactRows() []crm.Contact {
	org, owner := uuid.New(), uuid.New()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	rows := make([]crm.Contact, 20)
	for i := range rows {
		rows[i] = crm.Contact{OrganizationID: org, ID: uuid.New(), OwnerID: owner,
			Name: fmt.Sprintf("Charles Babbage %d", i), CreatedAt: at, UpdatedAt: at}
		if i%2 == 0 {
			email, phone, company, notes := fmt.Sprintf("charles%d@example.com", i), "+44 20 7946 0000",
				"Difference Engines", "Met at the Royal Society."
			rows[i].Email, rows[i].Phone, rows[i].Company, rows[i].Notes = &email, &phone, &company, &notes
		}
	}
	return rows
}

func benchContactPage() api.ListContacts200JSONResponse {
	rows := benchContactRows()
	items := make([]api.Contact, len(rows))
	for i, r := range rows {
		items[i] = toContact(r)
	}
	return api.ListContacts200JSONResponse{Items: items, Page: 2, PageSize: 20, Total: 200}
}

// discardWriter is an http.ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkToContact converts a page of 20 stored contacts to their API form.
func BenchmarkToContact(b *testing.B) {
	rows := benchContactRows()
	items := make([]api.Contact, len(rows))
	b.ReportAllocs()
	for b.Loop() {
		for i, r := range rows {
			items[i] = toContact(r)
		}
	}
}

// BenchmarkEncodeContactPage encodes a page of 20 contacts: "encoder" is encoding/json alone,
// "visit" the generated VisitListContactsResponse (buffer, headers, write) that the strict
// handler calls.
func BenchmarkEncodeContactPage(b *testing.B) {
	page := benchContactPage()
	var probe bytes.Buffer
	if err := json.NewEncoder(&probe).Encode(page); err != nil {
		b.Fatal(err)
	}
	b.Run("encoder", func(b *testing.B) {
		b.SetBytes(int64(probe.Len()))
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			if err := json.NewEncoder(&buf).Encode(page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("visit", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		b.SetBytes(int64(probe.Len()))
		b.ReportAllocs()
		for b.Loop() {
			if err := page.VisitListContactsResponse(w); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLogLine is the request logger middleware of New around a handler that does nothing,
// with the service's JSON handler writing to io.Discard: the cost of one log line per request.
func BenchmarkLogLine(b *testing.B) {
	e := echo.New()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	org := uuid.New()
	h := requestLogger(log)(func(c echo.Context) error {
		c.Set(ctxOrgForLog, org)
		return c.NoContent(http.StatusNoContent)
	})
	req := httptest.NewRequest(http.MethodGet, "/api/v1/contacts?page=2&page_size=20", nil)
	req.Header.Set(echo.HeaderXRequestID, uuid.NewString())
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		c := e.NewContext(req, w)
		c.SetPath("/api/v1/contacts")
		c.Response().Header().Set(echo.HeaderXRequestID, "0193a0c4-7b1e-7c3a-9d51-6f708192a3b4")
		if err := h(c); err != nil {
			b.Fatal(err)
		}
	}
}
