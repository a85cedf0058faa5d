package crm

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/money"
	"github.com/shopspring/decimal"
)

// The period of new_deals in the deal summary, in days.
const (
	DefaultSummaryDays int32 = 30
	MinSummaryDays     int32 = 1
	MaxSummaryDays     int32 = 365
)

// CurrencyValue is an exact amount in one currency: a sum or an average, never mixed across
// currencies.
type CurrencyValue struct {
	Currency string
	Value    money.Amount
}

// StatusSummary is the number of deals in one status and their sums per currency.
type StatusSummary struct {
	Status  string
	Count   int64
	Amounts []CurrencyValue // sorted by currency; empty (never nil) when Count is 0
}

// Summary is the deal summary: every status in the order of statuses, the average won amount per
// currency, and how many deals were created in the last Days days.
type Summary struct {
	ByStatus   []StatusSummary
	WonAverage []CurrencyValue // sorted by currency
	Days       int32
	NewDeals   int64
}

// StatusCounts counts deals per status.
type StatusCounts struct {
	New, InProgress, Won, Lost int64
}

// add adds n deals of status; it reports false for a status it does not know.
func (c *StatusCounts) add(status string, n int64) bool {
	switch status {
	case "new":
		c.New += n
	case "in_progress":
		c.InProgress += n
	case "won":
		c.Won += n
	case "lost":
		c.Lost += n
	default:
		return false
	}
	return true
}

// FunnelStage is one stage of the funnel.
type FunnelStage struct {
	Stage    string
	Count    int64 // deals now at this stage
	ByStatus StatusCounts
	Reached  int64 // deals now at this stage or a later one
	// ConversionFromPrevious is Reached / previous stage's Reached × 100, rounded to 2 decimals
	// half away from zero; nil for the first stage and when the previous stage was reached by no deal.
	ConversionFromPrevious *decimal.Decimal
}

// Funnel is every stage of the funnel, in the order of stages.
type Funnel struct {
	Stages []FunnelStage
}

var hundred = decimal.NewFromInt(100)

// DealSummary answers the deal summary of the caller's organization in one query. Members of an
// organization with members_see_all=false count only their own deals.
func (s *Service) DealSummary(ctx context.Context, m tenancy.Membership, days int32) (Summary, error) {
	if err := m.Require(tenancy.ReadRecords); err != nil {
		return Summary{}, err
	}
	if days < MinSummaryDays || days > MaxSummaryDays {
		return Summary{}, apperr.Validation("days", fmt.Sprintf("must be between %d and %d", MinSummaryDays, MaxSummaryDays))
	}
	owner, err := ownerFilter(m, nil)
	if err != nil {
		return Summary{}, err
	}
	rows, err := s.q.DealSummary(ctx, db.DealSummaryParams{Days: days, OrganizationID: m.OrganizationID, OwnerID: owner})
	if err != nil {
		return Summary{}, fmt.Errorf("deal summary: %w", err)
	}
	return BuildSummary(rows, days), nil
}

// DealFunnel answers the sales funnel of the caller's organization in one query. Members of an
// organization with members_see_all=false count only their own deals.
func (s *Service) DealFunnel(ctx context.Context, m tenancy.Membership) (Funnel, error) {
	if err := m.Require(tenancy.ReadRecords); err != nil {
		return Funnel{}, err
	}
	owner, err := ownerFilter(m, nil)
	if err != nil {
		return Funnel{}, err
	}
	rows, err := s.q.DealFunnel(ctx, db.DealFunnelParams{OrganizationID: m.OrganizationID, OwnerID: owner})
	if err != nil {
		return Funnel{}, fmt.Errorf("deal funnel: %w", err)
	}
	return BuildFunnel(rows), nil
}

// BuildSummary folds the rows of the DealSummary query (one per status and currency) into the
// summary: all four statuses in order, zero-filled, amounts and won averages sorted by currency,
// new deals summed over all rows. Sums stay exact and per currency; rows of an unknown status are
// ignored (the schema allows none). Rows for the same status and currency are added together; the
// won average is taken from the row as the query computed it.
func BuildSummary(rows []db.DealSummaryRow, days int32) Summary {
	out := Summary{ByStatus: make([]StatusSummary, len(statuses)), WonAverage: []CurrencyValue{}, Days: days}
	for i, st := range statuses {
		out.ByStatus[i] = StatusSummary{Status: st, Amounts: []CurrencyValue{}}
	}
	for _, r := range rows {
		i := slices.Index(statuses, r.Status)
		if i < 0 {
			continue
		}
		out.NewDeals += r.NewDeals
		s := &out.ByStatus[i]
		s.Count += r.Deals
		s.Amounts = addTo(s.Amounts, r.Currency, r.Total)
		if r.Status == "won" {
			out.WonAverage = append(out.WonAverage, CurrencyValue{Currency: r.Currency, Value: r.Average})
		}
	}
	for i := range out.ByStatus {
		slices.SortFunc(out.ByStatus[i].Amounts, byCurrency)
	}
	slices.SortFunc(out.WonAverage, byCurrency)
	return out
}

// addTo adds v to the entry of currency in list, appending one if there is none.
func addTo(list []CurrencyValue, currency string, v money.Amount) []CurrencyValue {
	for i := range list {
		if list[i].Currency == currency {
			list[i].Value = money.New(list[i].Value.Add(v.Decimal))
			return list
		}
	}
	return append(list, CurrencyValue{Currency: currency, Value: v})
}

func byCurrency(a, b CurrencyValue) int { return cmp.Compare(a.Currency, b.Currency) }

// BuildFunnel folds the rows of the DealFunnel query (one per stage and status, in any order) into
// the funnel: all four stages in the order of stages, zero-filled, with the deals that reached each
// stage and the exact conversion from the previous one. Rows of an unknown stage or status are
// ignored (the schema allows none).
func BuildFunnel(rows []db.DealFunnelRow) Funnel {
	out := Funnel{Stages: make([]FunnelStage, len(stages))}
	for i, st := range stages {
		out.Stages[i].Stage = st
	}
	for _, r := range rows {
		i := StageIndex(r.Stage)
		if i < 0 {
			continue
		}
		if out.Stages[i].ByStatus.add(r.Status, r.Deals) {
			out.Stages[i].Count += r.Deals
		}
	}
	var later int64
	for i := len(out.Stages) - 1; i >= 0; i-- {
		later += out.Stages[i].Count
		out.Stages[i].Reached = later
	}
	for i := 1; i < len(out.Stages); i++ {
		out.Stages[i].ConversionFromPrevious = conversion(out.Stages[i].Reached, out.Stages[i-1].Reached)
	}
	return out
}

// conversion is reached / previous × 100 rounded exactly to 2 decimals, half away from zero, or nil
// when previous is 0.
func conversion(reached, previous int64) *decimal.Decimal {
	if previous == 0 {
		return nil
	}
	c := decimal.NewFromInt(reached).Mul(hundred).DivRound(decimal.NewFromInt(previous), 2)
	return &c
}
