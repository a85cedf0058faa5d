package bench

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestZipfSizes_FromMaxDownToMin(t *testing.T) {
	s := ZipfSizes(100, 50, 20000)
	require.Len(t, s, 100)
	assert.Equal(t, 20000, s[0])
	assert.Equal(t, 50, s[99])
	for i := 1; i < len(s); i++ {
		assert.LessOrEqual(t, s[i], s[i-1], "rank %d", i+1)
	}
	// Zipf: rank 2 is max·2^-s, s = ln(400)/ln(100) ≈ 1.30.
	assert.InDelta(t, 8117, s[1], 1)
	assert.Equal(t, []int{7}, ZipfSizes(1, 3, 7))
	assert.Empty(t, ZipfSizes(0, 1, 2))
}

func TestParseWeights(t *testing.T) {
	ws, err := ParseWeights(DefaultWeights)
	require.NoError(t, err)
	total := 0
	for _, w := range ws {
		total += w.Weight
	}
	assert.Equal(t, 100, total)
	assert.Equal(t, Weight{"list", 45}, ws[0])

	ws, err = ParseWeights(" list = 1 ")
	require.NoError(t, err)
	assert.Equal(t, 1, ws[0].Weight)
	assert.Equal(t, 0, ws[6].Weight)

	for _, bad := range []string{"", "list=0", "lists=3", "list=-1", "list=x", "list", "list=1,list=2"} {
		_, err := ParseWeights(bad)
		assert.Error(t, err, bad)
	}
}

func TestPicker_FollowsTheWeights(t *testing.T) {
	ws, err := ParseWeights("list=3,funnel=1")
	require.NoError(t, err)
	p := NewPicker(ws)
	r := rand.New(rand.NewPCG(1, 2))
	n := map[string]int{}
	for range 40000 {
		n[p.Pick(r)]++
	}
	assert.Len(t, n, 2)
	assert.InDelta(t, 30000, n["list"], 600)
	assert.InDelta(t, 10000, n["funnel"], 600)
}

func TestSummarizeAndTable(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		Record(h, time.Duration(i)*time.Millisecond/10) // 0.1 .. 100 ms
	}
	Record(h, -time.Second) // clamped, never lost
	s := Summarize("list", h, 2, map[string]int{"500": 2}, 10)
	assert.EqualValues(t, 1001, s.Count)
	assert.InDelta(t, 50, s.P50, 0.5)
	assert.InDelta(t, 99, s.P99, 0.5)
	assert.InDelta(t, 100.1, s.Rate, 0.01)

	out := Table([]Summary{s})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "p99.9 ms")
	assert.Contains(t, lines[1], "list")
	assert.Contains(t, lines[1], "(500×2)")
}

func TestRatioLine(t *testing.T) {
	assert.Equal(t, "list-contacts ratio: 0.31 (service 2065 req/s, ceiling 6700 req/s)", RatioLine(2065, 6700))
	assert.Equal(t, "list-contacts ratio: 0.00 (service 5 req/s, ceiling 0 req/s)", RatioLine(5, 0))
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 200: "200", 1000: "1,000", 20000: "20,000", 1234567: "1,234,567", -4500: "-4,500"} {
		assert.Equal(t, want, Thousands(n), n)
	}
}

func TestRatiosAndTargets(t *testing.T) {
	assert.InDelta(t, 0.8, ThroughputRatio(800, 1000), 1e-9)
	assert.Zero(t, ThroughputRatio(800, 0))
	// Page 500 at 500 req/s against page 1 at 1000: each costs twice as much.
	assert.InDelta(t, 2, CostRatio(500, 1000), 1e-9)
	assert.Zero(t, CostRatio(0, 1000))

	assert.Equal(t, "  page 1 of 20,000 vs 200: 0.83× (target ≥ 0.7×) ok", TargetLine("page 1 of 20,000 vs 200", 0.83, 0.7, true))
	assert.Equal(t, "  x: 0.69× (target ≥ 0.7×) MISS", TargetLine("x", 0.69, 0.7, true))
	assert.Equal(t, "  cost: 2.00× (target ≤ 2×) ok", TargetLine("cost", 2, 2, false))
	assert.Equal(t, "  cost: 1.51× (target ≤ 1.5×) MISS", TargetLine("cost", 1.51, 1.5, false))
}
