// Package bench holds the pure pieces of the load tool cmd/loadgen: organization sizes, the
// weighted endpoint mix, and latency summaries and their table. Nothing here touches the network
// or the database, so its tests run in `go test ./...`; the tool itself runs only by `make bench`.
package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ZipfSizes returns n organization sizes following a Zipf law by rank: the largest (rank 1) has
// maxSize, the smallest (rank n) minSize, and rank k has maxSize·k^-s with s = ln(max/min)/ln(n).
// The sizes are in decreasing order.
func ZipfSizes(n, minSize, maxSize int) []int {
	if n <= 0 {
		return nil
	}
	if minSize < 1 {
		minSize = 1
	}
	if maxSize < minSize {
		maxSize = minSize
	}
	out := make([]int, n)
	if n == 1 {
		out[0] = maxSize
		return out
	}
	s := math.Log(float64(maxSize)/float64(minSize)) / math.Log(float64(n))
	for k := 1; k <= n; k++ {
		v := int(math.Round(float64(maxSize) * math.Pow(float64(k), -s)))
		out[k-1] = min(maxSize, max(minSize, v))
	}
	return out
}

// Endpoints are the mixed workload's endpoints, in the order of the tables.
var Endpoints = []string{"list", "search", "get_deal", "create_deal", "patch_deal", "summary", "funnel"}

// DefaultWeights is the mix of issue 9.
const DefaultWeights = "list=45,search=10,get_deal=10,create_deal=10,patch_deal=10,summary=10,funnel=5"

// Weight is one endpoint's share of the mix.
type Weight struct {
	Name   string
	Weight int
}

// ParseWeights reads "name=weight,..." with names among Endpoints; an endpoint not named has
// weight 0. At least one weight must be positive.
func ParseWeights(s string) ([]Weight, error) {
	known := map[string]bool{}
	for _, e := range Endpoints {
		known[e] = true
	}
	seen := map[string]int{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || !known[name] {
			return nil, fmt.Errorf("weights: %q: want name=weight with name one of %s", part, strings.Join(Endpoints, ", "))
		}
		if _, dup := seen[name]; dup {
			return nil, fmt.Errorf("weights: %s named twice", name)
		}
		w, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || w < 0 {
			return nil, fmt.Errorf("weights: %q: the weight must be a whole number >= 0", part)
		}
		seen[name] = w
		total += w
	}
	if total == 0 {
		return nil, fmt.Errorf("weights: %q: no positive weight", s)
	}
	out := make([]Weight, 0, len(Endpoints))
	for _, e := range Endpoints {
		out = append(out, Weight{Name: e, Weight: seen[e]})
	}
	return out, nil
}

// Picker draws endpoint names in proportion to their weights.
type Picker struct {
	names []string
	cum   []int
	total int
}

// NewPicker makes a Picker over ws (weights of ParseWeights).
func NewPicker(ws []Weight) *Picker {
	p := &Picker{}
	for _, w := range ws {
		if w.Weight <= 0 {
			continue
		}
		p.total += w.Weight
		p.names = append(p.names, w.Name)
		p.cum = append(p.cum, p.total)
	}
	return p
}

// Pick returns one name, drawn with r.
func (p *Picker) Pick(r *rand.Rand) string {
	x := r.IntN(p.total)
	i := sort.SearchInts(p.cum, x+1)
	return p.names[i]
}

// Histogram bounds: 1 µs to 60 s, three significant digits.
const (
	histMin = 1
	histMax = int64(60 * time.Second / time.Microsecond)
)

// NewHistogram returns a latency histogram in microseconds.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMin, histMax, 3)
}

// Record adds one latency to h, clamped into its range.
func Record(h *hdrhistogram.Histogram, d time.Duration) {
	us := min(max(d.Microseconds(), histMin), histMax)
	_ = h.RecordValue(us) // in range by construction
}

// Summary is one endpoint's (or a run's) latency and error figures; latencies in milliseconds.
type Summary struct {
	Endpoint string         `json:"endpoint"`
	Count    int64          `json:"count"`
	Errors   int64          `json:"errors"`
	ErrorsBy map[string]int `json:"errors_by,omitempty"`
	P50      float64        `json:"p50_ms"`
	P90      float64        `json:"p90_ms"`
	P99      float64        `json:"p99_ms"`
	P999     float64        `json:"p99_9_ms"`
	Max      float64        `json:"max_ms"`
	Rate     float64        `json:"rate_per_s"`
}

// Summarize reads h (microseconds) into a Summary; secs is the run's length, for the rate.
func Summarize(name string, h *hdrhistogram.Histogram, errors int64, errorsBy map[string]int, secs float64) Summary {
	ms := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	s := Summary{
		Endpoint: name, Count: h.TotalCount(), Errors: errors, ErrorsBy: errorsBy,
		P50: ms(50), P90: ms(90), P99: ms(99), P999: ms(99.9), Max: float64(h.Max()) / 1000,
	}
	if secs > 0 {
		s.Rate = float64(s.Count) / secs
	}
	return s
}

// Table formats summaries as a fixed-width text table, one line per summary after a header.
func Table(rows []Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %8s %8s %9s %9s %9s %9s %9s %7s\n", "endpoint", "count", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-12s %8d %8.0f %9.2f %9.2f %9.2f %9.2f %9.2f %7d", r.Endpoint, r.Count, r.Rate, r.P50, r.P90, r.P99, r.P999, r.Max, r.Errors)
		if len(r.ErrorsBy) > 0 {
			keys := make([]string, 0, len(r.ErrorsBy))
			for k := range r.ErrorsBy {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s×%d", k, r.ErrorsBy[k])
			}
			fmt.Fprintf(&b, "  (%s)", strings.Join(parts, ", "))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// RatioLine is the tool's last line.
func RatioLine(service, ceiling float64) string {
	ratio := 0.0
	if ceiling > 0 {
		ratio = service / ceiling
	}
	return fmt.Sprintf("list-contacts ratio: %.2f (service %.0f req/s, ceiling %.0f req/s)", ratio, service, ceiling)
}

// Thousands writes n with a comma every three digits: 20000 → "20,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ThroughputRatio is a/b, 0 when b is not positive (a pass that completed nothing).
func ThroughputRatio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// CostRatio is how many times a request of throughput rps costs one of throughput baseRPS, the
// cost of a request being 1/throughput; 0 when rps is not positive.
func CostRatio(rps, baseRPS float64) float64 {
	return ThroughputRatio(baseRPS, rps)
}

// Verdict is "ok" or "MISS", the word after a figure that has a target.
func Verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISS"
}

// TargetLine prints a ratio against its target, a floor (atLeast) or a ceiling:
// "  page 1 of 20,000 vs 200: 0.83× (target ≥ 0.7×) ok".
func TargetLine(label string, v, target float64, atLeast bool) string {
	op, ok := "≤", v <= target
	if atLeast {
		op, ok = "≥", v >= target
	}
	return fmt.Sprintf("  %s: %.2f× (target %s %g×) %s", label, v, op, target, Verdict(ok))
}
