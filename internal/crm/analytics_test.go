package crm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/money"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// analyticsSumRow is one row of the DealSummary query.
func analyticsSumRow(status, currency string, deals int64, total, average string, newDeals int64) db.DealSummaryRow {
	return db.DealSummaryRow{Status: status, Currency: currency, Deals: deals,
		Total: money.MustParse(total), Average: money.MustParse(average), NewDeals: newDeals}
}

// analyticsValues renders amounts as "EUR 10.00, USD 3000.35" so that expectations compare exact
// decimal values (not their internal representation) and read like the JSON.
func analyticsValues(vs []CurrencyValue) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Currency + " " + v.Value.StringFixed(2)
	}
	return strings.Join(parts, ", ")
}

type analyticsWantStatus struct {
	count   int64
	amounts string
}

func TestAnalytics_BuildSummary(t *testing.T) {
	t.Parallel()
	zero := analyticsWantStatus{}
	tests := []struct {
		name       string
		rows       []db.DealSummaryRow
		days       int32
		want       [4]analyticsWantStatus // new, in_progress, won, lost
		wonAverage string
		newDeals   int64
	}{
		{
			name: "no deals: every status zero-filled",
			days: 30,
			want: [4]analyticsWantStatus{zero, zero, zero, zero},
		},
		{
			name:     "one status only",
			rows:     []db.DealSummaryRow{analyticsSumRow("in_progress", "USD", 2, "3000.35", "1500.18", 1)},
			days:     7,
			want:     [4]analyticsWantStatus{zero, {2, "USD 3000.35"}, zero, zero},
			newDeals: 1,
		},
		{
			name: "rows in the query's alphabetical status order come out in funnel order",
			rows: []db.DealSummaryRow{
				analyticsSumRow("in_progress", "USD", 1, "20.00", "20.00", 1),
				analyticsSumRow("lost", "USD", 1, "40.00", "40.00", 0),
				analyticsSumRow("new", "USD", 1, "10.00", "10.00", 1),
				analyticsSumRow("won", "USD", 1, "30.00", "30.00", 1),
			},
			days:       30,
			want:       [4]analyticsWantStatus{{1, "USD 10.00"}, {1, "USD 20.00"}, {1, "USD 30.00"}, {1, "USD 40.00"}},
			wonAverage: "USD 30.00",
			newDeals:   3,
		},
		{
			name: "currencies are never added together and come out sorted",
			rows: []db.DealSummaryRow{
				analyticsSumRow("won", "USD", 2, "1200.50", "600.25", 2),
				analyticsSumRow("won", "EUR", 1, "15000.00", "15000.00", 0),
				analyticsSumRow("won", "CHF", 3, "0.03", "0.01", 1),
				analyticsSumRow("new", "USD", 1, "500.00", "500.00", 1),
				analyticsSumRow("new", "EUR", 1, "7.00", "7.00", 1),
			},
			days:       365,
			want:       [4]analyticsWantStatus{{2, "EUR 7.00, USD 500.00"}, zero, {6, "CHF 0.03, EUR 15000.00, USD 1200.50"}, zero},
			wonAverage: "CHF 0.01, EUR 15000.00, USD 600.25",
			newDeals:   5,
		},
		{
			name: "rows of the same status and currency add up exactly",
			rows: []db.DealSummaryRow{
				analyticsSumRow("new", "USD", 1, "1000.10", "1000.10", 1),
				analyticsSumRow("new", "USD", 1, "2000.25", "2000.25", 0),
				analyticsSumRow("lost", "USD", 1, "0.10", "0.10", 0),
				analyticsSumRow("lost", "USD", 2, "0.20", "0.10", 0),
			},
			days:     30,
			want:     [4]analyticsWantStatus{{2, "USD 3000.35"}, zero, zero, {3, "USD 0.30"}},
			newDeals: 1,
		},
		{
			name: "large sums stay exact",
			rows: []db.DealSummaryRow{
				analyticsSumRow("in_progress", "USD", 1, "999999999999.99", "999999999999.99", 0),
				analyticsSumRow("in_progress", "USD", 1, "0.01", "0.01", 0),
			},
			days: 30,
			want: [4]analyticsWantStatus{zero, {2, "USD 1000000000000.00"}, zero, zero},
		},
		{
			name:     "deals of amount 0 still show their currency",
			rows:     []db.DealSummaryRow{analyticsSumRow("new", "JPY", 4, "0", "0", 4)},
			days:     1,
			want:     [4]analyticsWantStatus{{4, "JPY 0.00"}, zero, zero, zero},
			newDeals: 4,
		},
		{
			name: "won average only from won rows",
			rows: []db.DealSummaryRow{
				analyticsSumRow("lost", "EUR", 2, "100.00", "50.00", 0),
				analyticsSumRow("won", "GBP", 3, "100.00", "33.33", 0),
			},
			days:       30,
			want:       [4]analyticsWantStatus{zero, zero, {3, "GBP 100.00"}, {2, "EUR 100.00"}},
			wonAverage: "GBP 33.33",
		},
		{
			name: "a row of an unknown status is ignored",
			rows: []db.DealSummaryRow{
				analyticsSumRow("archived", "USD", 9, "9.00", "1.00", 9),
				analyticsSumRow("new", "USD", 1, "1.00", "1.00", 1),
			},
			days:     30,
			want:     [4]analyticsWantStatus{{1, "USD 1.00"}, zero, zero, zero},
			newDeals: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := BuildSummary(tt.rows, tt.days)
			require.Len(t, got.ByStatus, 4)
			for i, st := range statuses {
				s := got.ByStatus[i]
				assert.Equal(t, st, s.Status)
				assert.Equal(t, tt.want[i].count, s.Count, st)
				assert.Equal(t, tt.want[i].amounts, analyticsValues(s.Amounts), st)
				assert.NotNil(t, s.Amounts, "amounts of %s must be [] not null", st)
			}
			assert.Equal(t, tt.wonAverage, analyticsValues(got.WonAverage))
			assert.NotNil(t, got.WonAverage, "won_average must be [] not null")
			assert.Equal(t, tt.days, got.Days)
			assert.Equal(t, tt.newDeals, got.NewDeals)
		})
	}
}

// Folding adds new decimals; the query's rows are left as they were.
func TestAnalytics_BuildSummaryDoesNotAliasOrMutateRows(t *testing.T) {
	t.Parallel()
	rows := []db.DealSummaryRow{
		analyticsSumRow("new", "USD", 1, "1000.10", "1000.10", 1),
		analyticsSumRow("new", "USD", 1, "2000.25", "2000.25", 1),
	}
	got := BuildSummary(rows, 30)
	assert.Equal(t, "USD 3000.35", analyticsValues(got.ByStatus[0].Amounts))
	assert.Equal(t, "1000.10", rows[0].Total.StringFixed(2), "the rows are not changed")
	assert.Equal(t, "2000.25", rows[1].Total.StringFixed(2))
}

// analyticsFunnelRow is one row of the DealFunnel query.
func analyticsFunnelRow(stage, status string, deals int64) db.DealFunnelRow {
	return db.DealFunnelRow{Stage: stage, Status: status, Deals: deals}
}

type analyticsWantStage struct {
	count    int64
	byStatus StatusCounts
	reached  int64
	conv     string // "" is null
}

func TestAnalytics_BuildFunnel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rows []db.DealFunnelRow
		want [4]analyticsWantStage // qualification, proposal, negotiation, closed
	}{
		{
			name: "no deals: every stage zero, no conversion anywhere",
			want: [4]analyticsWantStage{{}, {}, {}, {}},
		},
		{
			name: "first stage only: 0% into the second, then null",
			rows: []db.DealFunnelRow{analyticsFunnelRow("qualification", "new", 3)},
			want: [4]analyticsWantStage{
				{3, StatusCounts{New: 3}, 3, ""},
				{0, StatusCounts{}, 0, "0.00"},
				{0, StatusCounts{}, 0, ""},
				{0, StatusCounts{}, 0, ""},
			},
		},
		{
			name: "last stage only: every stage reached, 100% each step",
			rows: []db.DealFunnelRow{analyticsFunnelRow("closed", "won", 2)},
			want: [4]analyticsWantStage{
				{0, StatusCounts{}, 2, ""},
				{0, StatusCounts{}, 2, "100.00"},
				{0, StatusCounts{}, 2, "100.00"},
				{2, StatusCounts{Won: 2}, 2, "100.00"},
			},
		},
		{
			name: "the example of the spec",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("closed", "won", 1),
				analyticsFunnelRow("qualification", "new", 2),
				analyticsFunnelRow("proposal", "in_progress", 1),
			},
			want: [4]analyticsWantStage{
				{2, StatusCounts{New: 2}, 4, ""},
				{1, StatusCounts{InProgress: 1}, 2, "50.00"},
				{0, StatusCounts{}, 1, "50.00"},
				{1, StatusCounts{Won: 1}, 1, "100.00"},
			},
		},
		{
			name: "skipped stages count as reached by the deals beyond them",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("qualification", "new", 1),
				analyticsFunnelRow("closed", "lost", 1),
			},
			want: [4]analyticsWantStage{
				{1, StatusCounts{New: 1}, 2, ""},
				{0, StatusCounts{}, 1, "50.00"},
				{0, StatusCounts{}, 1, "100.00"},
				{1, StatusCounts{Lost: 1}, 1, "100.00"},
			},
		},
		{
			name: "1/3 is 33.33 and 2/3 is 66.67",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("qualification", "new", 2),
				analyticsFunnelRow("proposal", "new", 1),
				analyticsFunnelRow("negotiation", "in_progress", 1),
				analyticsFunnelRow("closed", "won", 2),
			},
			// reached 6, 4, 3, 2: 4/6 = 66.67, 3/4 = 75, 2/3 = 66.67
			want: [4]analyticsWantStage{
				{2, StatusCounts{New: 2}, 6, ""},
				{1, StatusCounts{New: 1}, 4, "66.67"},
				{1, StatusCounts{InProgress: 1}, 3, "75.00"},
				{2, StatusCounts{Won: 2}, 2, "66.67"},
			},
		},
		{
			name: "1/3 rounds down to 33.33",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("qualification", "new", 2),
				analyticsFunnelRow("proposal", "in_progress", 1),
			},
			want: [4]analyticsWantStage{
				{2, StatusCounts{New: 2}, 3, ""},
				{1, StatusCounts{InProgress: 1}, 1, "33.33"},
				{0, StatusCounts{}, 0, "0.00"},
				{0, StatusCounts{}, 0, ""},
			},
		},
		{
			name: "half rounds away from zero: 1/32 is 3.125 → 3.13",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("qualification", "new", 31),
				analyticsFunnelRow("proposal", "new", 1),
			},
			want: [4]analyticsWantStage{
				{31, StatusCounts{New: 31}, 32, ""},
				{1, StatusCounts{New: 1}, 1, "3.13"},
				{0, StatusCounts{}, 0, "0.00"},
				{0, StatusCounts{}, 0, ""},
			},
		},
		{
			name: "half rounds away from zero, not to even: 1/20000 is 0.005 → 0.01",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("qualification", "new", 19999),
				analyticsFunnelRow("negotiation", "lost", 1),
			},
			want: [4]analyticsWantStage{
				{19999, StatusCounts{New: 19999}, 20000, ""},
				{0, StatusCounts{}, 1, "0.01"},
				{1, StatusCounts{Lost: 1}, 1, "100.00"},
				{0, StatusCounts{}, 0, "0.00"},
			},
		},
		{
			name: "below half rounds down: 1/30000 is 0.00333 → 0.00",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("qualification", "new", 29999),
				analyticsFunnelRow("proposal", "new", 1),
			},
			want: [4]analyticsWantStage{
				{29999, StatusCounts{New: 29999}, 30000, ""},
				{1, StatusCounts{New: 1}, 1, "0.00"},
				{0, StatusCounts{}, 0, "0.00"},
				{0, StatusCounts{}, 0, ""},
			},
		},
		{
			name: "previous stage reached by nobody: null, even after a non-empty stage",
			rows: []db.DealFunnelRow{analyticsFunnelRow("proposal", "new", 1)},
			want: [4]analyticsWantStage{
				{0, StatusCounts{}, 1, ""},
				{1, StatusCounts{New: 1}, 1, "100.00"},
				{0, StatusCounts{}, 0, "0.00"},
				{0, StatusCounts{}, 0, ""},
			},
		},
		{
			name: "every status on one stage, rows in any order",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("negotiation", "lost", 4),
				analyticsFunnelRow("negotiation", "new", 1),
				analyticsFunnelRow("negotiation", "won", 3),
				analyticsFunnelRow("negotiation", "in_progress", 2),
			},
			want: [4]analyticsWantStage{
				{0, StatusCounts{}, 10, ""},
				{0, StatusCounts{}, 10, "100.00"},
				{10, StatusCounts{New: 1, InProgress: 2, Won: 3, Lost: 4}, 10, "100.00"},
				{0, StatusCounts{}, 0, "0.00"},
			},
		},
		{
			name: "rows of the same stage and status add up; unknown stages and statuses are ignored",
			rows: []db.DealFunnelRow{
				analyticsFunnelRow("proposal", "won", 1),
				analyticsFunnelRow("proposal", "won", 2),
				analyticsFunnelRow("lead", "new", 50),
				analyticsFunnelRow("proposal", "archived", 50),
			},
			want: [4]analyticsWantStage{
				{0, StatusCounts{}, 3, ""},
				{3, StatusCounts{Won: 3}, 3, "100.00"},
				{0, StatusCounts{}, 0, "0.00"},
				{0, StatusCounts{}, 0, ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := BuildFunnel(tt.rows)
			require.Len(t, got.Stages, 4)
			for i, stage := range stages {
				s, w := got.Stages[i], tt.want[i]
				assert.Equal(t, stage, s.Stage)
				assert.Equal(t, w.count, s.Count, stage)
				assert.Equal(t, w.byStatus, s.ByStatus, stage)
				assert.Equal(t, w.reached, s.Reached, stage)
				conv := ""
				if s.ConversionFromPrevious != nil {
					conv = s.ConversionFromPrevious.StringFixed(2)
					assert.LessOrEqual(t, -s.ConversionFromPrevious.Exponent(), int32(2), "exactly 2 decimals at most")
				}
				assert.Equal(t, w.conv, conv, stage)
			}
		})
	}
}

// The first stage never has a conversion, and a conversion never exceeds 100%: reached only
// shrinks along the funnel.
func TestAnalytics_FunnelInvariants(t *testing.T) {
	t.Parallel()
	for mask := 0; mask < 1<<8; mask++ {
		var rows []db.DealFunnelRow
		for i := 0; i < 8; i++ {
			if mask&(1<<i) != 0 {
				rows = append(rows, analyticsFunnelRow(stages[i%4], statuses[i/2], int64(i+1)))
			}
		}
		f := BuildFunnel(rows)
		assert.Nil(t, f.Stages[0].ConversionFromPrevious)
		var total int64
		for _, r := range rows {
			total += r.Deals
		}
		assert.Equal(t, total, f.Stages[0].Reached, "every deal reached the first stage")
		for i := 1; i < 4; i++ {
			assert.LessOrEqual(t, f.Stages[i].Reached, f.Stages[i-1].Reached)
			assert.Equal(t, f.Stages[i-1].Reached-f.Stages[i-1].Count, f.Stages[i].Reached)
			if c := f.Stages[i].ConversionFromPrevious; c != nil {
				assert.True(t, c.LessThanOrEqual(hundred), "conversion %s", c)
				assert.False(t, c.IsNegative())
			} else {
				assert.Zero(t, f.Stages[i-1].Reached)
			}
		}
	}
}

func TestAnalytics_ServiceRejectsDaysOutOfRangeBeforeAnyQuery(t *testing.T) {
	t.Parallel()
	s := &Service{} // no pool: any query would panic
	m := tenancy.Membership{Principal: tenancy.Principal{UserID: uuid.New()}, OrganizationID: uuid.New(),
		Role: tenancy.RoleOwner, Settings: tenancy.Settings{MembersSeeAll: true}}
	for _, days := range []int32{-1, 0, MaxSummaryDays + 1, 10000} {
		t.Run(fmt.Sprint(days), func(t *testing.T) {
			t.Parallel()
			_, err := s.DealSummary(context.Background(), m, days)
			e, ok := apperr.As(err)
			require.True(t, ok, "err %v", err)
			assert.Equal(t, apperr.KindInvalid, e.Kind)
			assert.Equal(t, "validation_failed", e.Code)
		})
	}
}

func TestAnalytics_ServiceRefusesUnknownRole(t *testing.T) {
	t.Parallel()
	s := &Service{}
	m := tenancy.Membership{OrganizationID: uuid.New(), Role: tenancy.Role("guest")}
	_, err := s.DealSummary(context.Background(), m, 30)
	assert.ErrorIs(t, err, apperr.ErrForbidden)
	_, err = s.DealFunnel(context.Background(), m)
	assert.ErrorIs(t, err, apperr.ErrForbidden)
}

func BenchmarkBuildSummary(b *testing.B) {
	currencies := []string{"USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK"}
	var rows []db.DealSummaryRow
	for _, st := range statuses {
		for i := len(currencies) - 1; i >= 0; i-- {
			rows = append(rows, analyticsSumRow(st, currencies[i], 1000, "1234567.89", "1234.57", 100))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = BuildSummary(rows, 30)
	}
}

func BenchmarkBuildFunnel(b *testing.B) {
	var rows []db.DealFunnelRow
	for i, stage := range stages {
		for j, st := range statuses {
			rows = append(rows, analyticsFunnelRow(stage, st, int64(1000*(4-i)+j)))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = BuildFunnel(rows)
	}
}
