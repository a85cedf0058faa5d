package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minicrm/crm/internal/apptest"
)

// csvRows is a CSV file of n contacts with every column the import takes.
func csvRows(n int) string {
	var b strings.Builder
	b.WriteString("name,email,phone,company,notes\r\n")
	for i := range n {
		fmt.Fprintf(&b, "Contact %d,contact%d@example.com,+1 555 %07d,Company %d,\"Notes of %d, imported\"\r\n", i, i, i, i%500, i)
	}
	return b.String()
}

// BenchmarkCSV_Import50000 imports 50,000 contacts (the most one import takes) into a fresh
// organization per iteration, through the whole request path. Reported, never asserted:
// go test -run '^$' -bench CSV -benchtime 3x ./internal/httpapi
func BenchmarkCSV_Import50000(b *testing.B) {
	app := apptest.New(b)
	file := csvRows(50_000)
	hc := &http.Client{Timeout: time.Minute} // without the contract-checking transport
	b.SetBytes(int64(len(file)))
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		u := app.Register(b, fmt.Sprintf("importer%d", i))
		req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, app.URL+"/api/v1/contacts/import", strings.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+u.Access)
		req.Header.Set("X-Organization-Id", u.OrgID.String())
		req.Header.Set("Content-Type", "text/csv")
		b.StartTimer()
		res, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"created":50000`) {
			b.Fatalf("status %d: %s", res.StatusCode, body)
		}
	}
}

// BenchmarkCSV_Export measures an export of 5,000 and of 50,000 contacts read by a client that
// discards it, and the peak of the process's heap while it runs (peak-heap-MiB, sampled every
// millisecond, above the heap before it; the collector runs at GOGC=5 meanwhile, so that the heap
// is close to what is live rather than to the garbage not yet collected): the export holds one
// batch of the database's rows at a time, so the peak stays the same while the export grows
// tenfold.
func BenchmarkCSV_Export(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	for _, n := range []int{5_000, 50_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			app := apptest.New(b)
			u := app.Register(b, "exporter")
			res, body := app.Do(b, apptest.Request{Method: http.MethodPost, Path: "/api/v1/contacts/import", Body: []byte(csvRows(n)),
				ContentType: "text/csv", Token: u.Access, Org: u.OrgID})
			if res.StatusCode != http.StatusOK {
				b.Fatalf("import: %d %s", res.StatusCode, body)
			}
			hc := &http.Client{Timeout: time.Minute}
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				var top atomic.Uint64
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					var m runtime.MemStats
					for {
						select {
						case <-stop:
							return
						case <-time.After(time.Millisecond):
						}
						runtime.ReadMemStats(&m)
						if m.HeapAlloc > top.Load() {
							top.Store(m.HeapAlloc)
						}
					}
				}()
				req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, app.URL+"/api/v1/contacts/export", nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+u.Access)
				req.Header.Set("X-Organization-Id", u.OrgID.String())
				b.StartTimer()
				res, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, err := io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				b.StopTimer()
				close(stop)
				<-done
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("export: %d %v", res.StatusCode, err)
				}
				b.SetBytes(size)
				if t := top.Load(); t > base && t-base > peak {
					peak = t - base
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
