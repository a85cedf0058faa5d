package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
)

// BenchmarkListContacts measures the whole request path of a typical read — JWT check, OpenAPI
// validation, the session+membership query, the page query, JSON — against a real PostgreSQL with
// 200 contacts. Numbers are reported, never asserted: go test -run '^$' -bench . ./internal/httpapi
func BenchmarkListContacts(b *testing.B) {
	app := apptest.New(b)
	ada := app.Register(b, "ada")
	for i := range 200 {
		app.CreateContact(b, ada, ada.OrgID, client.ContactCreate{Name: fmt.Sprintf("Contact %d", i)})
	}
	req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, app.URL+"/api/v1/contacts", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ada.Access)
	req.Header.Set("X-Organization-Id", ada.OrgID.String())
	hc := &http.Client{} // without the contract-checking transport: measure the server only
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := hc.Do(req.Clone(b.Context()))
			if err != nil {
				b.Error(err)
				return
			}
			_ = readAllB(res)
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

func readAllB(res *http.Response) error {
	defer res.Body.Close()
	_, err := io.Copy(io.Discard, res.Body)
	return err
}
