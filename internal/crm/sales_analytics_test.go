package crm

import (
	"fmt"
	"testing"

	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/money"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// fixed renders an optional figure as its 2-decimal text, or "null".
func fixed(d *decimal.Decimal) string {
	if d == nil {
		return "null"
	}
	return d.StringFixed(2)
}

func TestBuildVelocity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                                   string
		row                                    db.DealVelocityRow
		winRate, average, cycle, velocity, won string
	}{
		{"nothing won or lost", db.DealVelocityRow{Opened: 4, WonAmount: money.MustParse("0")},
			"null", "null", "null", "null", "0.00"},
		{"only lost", db.DealVelocityRow{Opened: 4, Lost: 2, WonAmount: money.MustParse("0")},
			"0.00", "null", "null", "null", "0.00"},
		// 2 × 1500 × 0.5 ÷ 10 = 150
		{"plain", db.DealVelocityRow{Opened: 2, Won: 2, Lost: 2, WonAmount: money.MustParse("3000.00"), WonCycleSeconds: money.MustParse("1728000")},
			"50.00", "1500.00", "10.00", "150.00", "3000.00"},
		// The average and the rate as answered: 3 × 33.33 × 1 ÷ 1 = 99.99 (not 100.00).
		{"rounded average", db.DealVelocityRow{Opened: 3, Won: 3, WonAmount: money.MustParse("100.00"), WonCycleSeconds: money.MustParse("259200")},
			"100.00", "33.33", "1.00", "99.99", "100.00"},
		// 1 ÷ 3 = 33.33 %; 6 × 10.00 × 0.3333 ÷ 2 = 9.999 → 10.00.
		{"rounded rate", db.DealVelocityRow{Opened: 6, Won: 1, Lost: 2, WonAmount: money.MustParse("10.00"), WonCycleSeconds: money.MustParse("172800")},
			"33.33", "10.00", "2.00", "10.00", "10.00"},
		// A cycle of 100 s rounds to 0.00 days; the velocity uses the unrounded one: 50 ÷ (100 ÷ 86400).
		{"short cycle", db.DealVelocityRow{Opened: 1, Won: 1, WonAmount: money.MustParse("50.00"), WonCycleSeconds: money.MustParse("100")},
			"100.00", "50.00", "0.00", "43200.00", "50.00"},
		// Won the instant it was created: nothing to divide by.
		{"zero cycle", db.DealVelocityRow{Opened: 1, Won: 1, WonAmount: money.MustParse("50.00"), WonCycleSeconds: money.MustParse("0")},
			"100.00", "50.00", "0.00", "null", "50.00"},
		// Half away from zero: 2 ÷ 3 = 66.666… % → 66.67; 0.125 days → 0.13; 1.005 → 1.01.
		{"halves", db.DealVelocityRow{Opened: 0, Won: 2, Lost: 1, WonAmount: money.MustParse("2.01"), WonCycleSeconds: money.MustParse("21600")},
			"66.67", "1.01", "0.13", "0.00", "2.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := BuildVelocity(tt.row)
			assert.Equal(t, tt.winRate, fixed(v.WinRate), "win rate")
			var avg *decimal.Decimal
			if v.AverageWonAmount != nil {
				avg = &v.AverageWonAmount.Decimal
			}
			assert.Equal(t, tt.average, fixed(avg), "average won amount")
			assert.Equal(t, tt.cycle, fixed(v.AverageCycleDays), "average cycle days")
			assert.Equal(t, tt.velocity, fixed(v.VelocityPerDay), "velocity per day")
			assert.Equal(t, tt.won, v.WonAmount.StringFixed(2), "won amount")
		})
	}
}

func TestBuildStageReport_FillsTheFunnelInOrder(t *testing.T) {
	t.Parallel()
	r := BuildStageReport([]db.DealStageStatsRow{
		{Stage: "closed", Entered: 2},
		{Stage: "qualification", Entered: 3, Exited: 3, Current: 1, TotalUs: money.MustParse("31000000"),
			LowerMedianUs: 10_000_000, UpperMedianUs: 10_000_000},
		{Stage: "proposal", Exited: 2, TotalUs: money.MustParse("10000"), LowerMedianUs: 3000, UpperMedianUs: 7000},
		{Stage: "won", Entered: 99},
	}, 30)
	assert.EqualValues(t, 30, r.Days)
	got := make([]string, len(r.Stages))
	for i, s := range r.Stages {
		got[i] = s.Stage + " " + fmt.Sprint(s.Entered, s.Exited, s.Current) + " " + fixed(s.AvgSeconds) + " " + fixed(s.MedianSeconds)
	}
	assert.Equal(t, []string{
		"qualification 3 3 1 10.33 10.00",
		"proposal 0 2 0 0.01 0.01",
		"negotiation 0 0 0 null null",
		"closed 2 0 0 null null",
	}, got)
}
