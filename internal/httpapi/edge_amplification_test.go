package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apptest"
)

// unknownKeysBody is the amplification probe of issue 8: a login body of n unknown keys, 10 bytes
// each (91,009 keys make 910 KB, under the old and the new body limit alike).
func unknownKeysBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"email":"ada@example.com","password":"password"`)
	for i := range n {
		fmt.Fprintf(&b, `,"%05x":0`, i)
	}
	b.WriteString("}")
	return b.Bytes()
}

// A body of tens of thousands of unknown keys is refused with a small answer: the decoder stops
// at the first object over the member bound, so neither the schema validator nor the error
// renderer ever sees them all.
func TestEdge_TensOfThousandsOfUnknownKeysGetASmallAnswer(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	body := unknownKeysBody(91_009)
	require.Greater(t, len(body), 900_000)
	require.Less(t, len(body), 1_000_000)

	res, raw := edgeSend(t, app.HTTP, http.MethodPost, app.URL+"/api/v1/auth/login", body, nil)
	p := problemOf(t, res, raw, http.StatusBadRequest, "validation_failed")
	assert.Less(t, len(raw), 4<<10, "the answer does not grow with the body: %d bytes", len(raw))
	require.NotNil(t, p.Errors)
	assert.LessOrEqual(t, len(*p.Errors), 20)
	assert.Equal(t, []string{"body"}, fieldsOf(p))
}

// Sixteen such requests at once (the reproduction of issue 8: +1 GB of RSS before) leave the
// process's peak resident memory and the bytes allocated per request bounded. Sizes are asserted,
// never times. Not parallel: the memory figures must be this test's alone.
func TestEdge_UnknownKeysFloodKeepsMemoryBounded(t *testing.T) {
	app := apptest.New(t)
	body := unknownKeysBody(91_009)
	hc := &http.Client{} // without the contract-checking transport: measure the server only
	const concurrent = 16

	runtime.GC()
	peakBefore, peakOK := resetPeakRSS()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	sizes := make([]int, concurrent)
	for i := range concurrent {
		wg.Go(func() {
			status, raw, err := edgeDo(t.Context(), hc, http.MethodPost, app.URL+"/api/v1/auth/login", body, nil)
			if assert.NoError(t, err) {
				assert.Equal(t, http.StatusBadRequest, status)
			}
			sizes[i] = len(raw)
		})
	}
	wg.Wait()

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perRequest := (after.TotalAlloc - before.TotalAlloc) / concurrent
	t.Logf("answer %d bytes; allocated per request %.1f MB (the body is %.1f MB)",
		sizes[0], float64(perRequest)/1e6, float64(len(body))/1e6)
	for _, s := range sizes {
		assert.Less(t, s, 4<<10)
	}
	// Reading the body, the client's copy and one pass of the decoder: a few times the body, not
	// hundreds.
	assert.Less(t, perRequest, uint64(16<<20), "bytes allocated per request")
	if peakOK {
		peak, _ := statusKB("VmHWM")
		growth := (peak - peakBefore) << 10
		t.Logf("peak RSS grew by %.1f MB (%d MB -> %d MB)", float64(growth)/1e6, peakBefore>>10, peak>>10)
		assert.Less(t, growth, int64(150<<20), "peak RSS growth under the flood")
	}
}

// resetPeakRSS resets the kernel's peak-RSS mark (VmHWM) to the current RSS and returns it in KB;
// false where /proc does not allow it (not Linux).
func resetPeakRSS() (int64, bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	kb, err := statusKB("VmHWM")
	return kb, err == nil
}

// statusKB reads one "Name: N kB" line of /proc/self/status.
func statusKB(name string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /proc/self/status", name)
}

// edgeSend sends a JSON body (nil for none) with extra headers and returns the answer, body read.
func edgeSend(t *testing.T, hc *http.Client, method, url string, body []byte, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := edgeRequest(t.Context(), method, url, body, header)
	require.NoError(t, err)
	res, err := hc.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, raw
}

// edgeDo is edgeSend for other goroutines than the test's: it reports errors instead of failing.
func edgeDo(ctx context.Context, hc *http.Client, method, url string, body []byte, header http.Header) (int, []byte, error) {
	req, err := edgeRequest(ctx, method, url, body, header)
	if err != nil {
		return 0, nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

func edgeRequest(ctx context.Context, method, url string, body []byte, header http.Header) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	return req, nil
}

// BenchmarkEdge_UnknownKeysLogin reports the cost of the amplification probe (91,009 unknown keys
// to /auth/login): time and bytes allocated per request, and the answer's size. Reported, never
// asserted: go test -run '^$' -bench UnknownKeys -benchmem ./internal/httpapi
func BenchmarkEdge_UnknownKeysLogin(b *testing.B) {
	app := apptest.New(b)
	body := unknownKeysBody(91_009)
	hc := &http.Client{}
	var size int
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, app.URL+"/api/v1/auth/login", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || res.StatusCode != http.StatusBadRequest {
			b.Fatalf("status %d, %v", res.StatusCode, err)
		}
		size = len(raw)
	}
	b.ReportMetric(float64(size), "answer-bytes")
}
