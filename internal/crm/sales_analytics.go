package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/money"
	"github.com/shopspring/decimal"
)

// The window of the stage and velocity analytics, in days.
const (
	DefaultSalesDays int32 = 90
	MinSalesDays     int32 = 1
	MaxSalesDays     int32 = 365
)

// StageStats is one stage's traffic over a window: the deals that entered it, the stays in it that
// ended, their mean and median length in seconds (rounded to 2 decimals, nil when none ended), and
// the open deals in it now.
type StageStats struct {
	Stage         string
	Entered       int64
	Exited        int64
	Current       int64
	AvgSeconds    *decimal.Decimal
	MedianSeconds *decimal.Decimal
}

// StageReport is every stage of the funnel, in order, over the last Days days.
type StageReport struct {
	Days   int32
	Stages []StageStats
}

// CurrencyVelocity is the velocity of the deals of one currency over a window. Ratios are rounded
// to 2 decimals half away from zero and nil when there is nothing to divide by.
type CurrencyVelocity struct {
	Currency         string
	Opened           int64
	Won              int64
	Lost             int64
	WinRate          *decimal.Decimal // won ÷ (won + lost) × 100
	WonAmount        money.Amount
	AverageWonAmount *money.Amount    // won_amount ÷ won
	AverageCycleDays *decimal.Decimal // mean days from creation to won
	VelocityPerDay   *decimal.Decimal // opened × average won × win rate ÷ unrounded cycle
}

// VelocityReport is the velocity per currency, sorted by currency, over the last Days days.
type VelocityReport struct {
	Days       int32
	Currencies []CurrencyVelocity
}

// CurrencyForecast is the open pipeline of one currency and its sum weighted by the stages'
// probabilities.
type CurrencyForecast struct {
	Currency       string
	OpenDeals      int64
	PipelineAmount money.Amount
	WeightedAmount money.Amount
}

var (
	secondsPerDay   = decimal.NewFromInt(86400)
	microsPerSecond = decimal.NewFromInt(1_000_000)
)

// DealStageStats answers the time-in-stage analytics of the last days days in one query. Members of
// an organization with members_see_all=false count only the deals they own. The answer is
// remembered (s.stageFigures): the query computes it again only when the deals or the window's
// contents moved.
func (s *Service) DealStageStats(ctx context.Context, m tenancy.Membership, days int32) (StageReport, error) {
	owner, err := salesScope(m, days)
	if err != nil {
		return StageReport{}, err
	}
	key := figuresKeyOf(m.OrganizationID, owner, days)
	report, err := answer(s.stageFigures, key, func(version int64, until time.Time) ([]db.DealStageStatsRow, error) {
		return s.q.DealStageStats(ctx, db.DealStageStatsParams{
			OrganizationID: m.OrganizationID, Days: days, OwnerID: owner, KnownVersion: version, KnownUntil: until,
		})
	}, func(r db.DealStageStatsRow) (int64, time.Time) { return r.Version, r.ValidUntil },
		func(rows []db.DealStageStatsRow) StageReport { return BuildStageReport(rows, days) })
	if err != nil {
		return StageReport{}, fmt.Errorf("deal stage stats: %w", err)
	}
	return report, nil
}

// DealVelocity answers the sales velocity per currency of the last days days in one query. Members
// of an organization with members_see_all=false count only the deals they own. Remembered as
// DealStageStats is (s.velocityFigures).
func (s *Service) DealVelocity(ctx context.Context, m tenancy.Membership, days int32) (VelocityReport, error) {
	owner, err := salesScope(m, days)
	if err != nil {
		return VelocityReport{}, err
	}
	key := figuresKeyOf(m.OrganizationID, owner, days)
	report, err := answer(s.velocityFigures, key, func(version int64, until time.Time) ([]db.DealVelocityRow, error) {
		return s.q.DealVelocity(ctx, db.DealVelocityParams{
			OrganizationID: m.OrganizationID, Days: days, OwnerID: owner, KnownVersion: version, KnownUntil: until,
		})
	}, func(r db.DealVelocityRow) (int64, time.Time) { return r.Version, r.ValidUntil },
		func(rows []db.DealVelocityRow) VelocityReport {
			out := VelocityReport{Days: days, Currencies: make([]CurrencyVelocity, 0, len(rows))}
			for _, r := range rows {
				if r.Currency != nil { // else the row that says "computed, no currency"
					out.Currencies = append(out.Currencies, BuildVelocity(r))
				}
			}
			return out
		})
	if err != nil {
		return VelocityReport{}, fmt.Errorf("deal velocity: %w", err)
	}
	return report, nil
}

// DealForecast answers the open pipeline per currency weighted by the organization's stage
// probabilities, in one query. Members of an organization with members_see_all=false count only
// the deals they own.
func (s *Service) DealForecast(ctx context.Context, m tenancy.Membership) ([]CurrencyForecast, error) {
	if err := m.Require(tenancy.ReadRecords); err != nil {
		return nil, err
	}
	owner, err := ownerFilter(m, nil)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.DealForecast(ctx, db.DealForecastParams{OrganizationID: m.OrganizationID, OwnerID: owner})
	if err != nil {
		return nil, fmt.Errorf("deal forecast: %w", err)
	}
	out := make([]CurrencyForecast, len(rows))
	for i, r := range rows {
		out[i] = CurrencyForecast{
			Currency: r.Currency, OpenDeals: r.OpenDeals, PipelineAmount: r.PipelineAmount,
			// Weighted once on the total, so that the rounding does not add up over deals.
			WeightedAmount: money.New(r.WeightedPercent.DivRound(hundred, 2)),
		}
	}
	return out, nil
}

// salesScope checks the caller and the window of the stage and velocity analytics and returns the
// owner filter of their query.
func salesScope(m tenancy.Membership, days int32) (*uuid.UUID, error) {
	if err := m.Require(tenancy.ReadRecords); err != nil {
		return nil, err
	}
	if days < MinSalesDays || days > MaxSalesDays {
		return nil, apperr.Validation("days", fmt.Sprintf("must be between %d and %d", MinSalesDays, MaxSalesDays))
	}
	return ownerFilter(m, nil)
}

// BuildStageReport folds the rows of the DealStageStats query (one per stage, in any order; lengths
// in microseconds) into all four stages in funnel order, zero-filled.
// The mean and the median are in seconds, nil for a stage where no stay ended; the median of an
// even count is the mean of the two middle stays. Rows of an unknown stage are ignored (the schema allows none).
func BuildStageReport(rows []db.DealStageStatsRow, days int32) StageReport {
	out := StageReport{Days: days, Stages: make([]StageStats, len(stages))}
	for i, st := range stages {
		out.Stages[i].Stage = st
	}
	for _, r := range rows {
		i := StageIndex(r.Stage)
		if i < 0 {
			continue
		}
		st := &out.Stages[i]
		st.Entered, st.Exited, st.Current = r.Entered, r.Exited, r.Current
		if r.Exited > 0 {
			avg := r.TotalUs.DivRound(decimal.NewFromInt(r.Exited).Mul(microsPerSecond), 2)
			median := decimal.NewFromInt(r.LowerMedianUs).Add(decimal.NewFromInt(r.UpperMedianUs)).
				DivRound(decimal.NewFromInt(2).Mul(microsPerSecond), 2)
			st.AvgSeconds, st.MedianSeconds = &avg, &median
		}
	}
	return out
}

// BuildVelocity computes one currency's ratios from the sums of the DealVelocity query. The
// velocity is opened × average_won_amount × win_rate / 100 ÷ average_cycle_days with the average
// and the rate as answered (2 decimals) and the cycle unrounded (cycle_seconds ÷ won ÷ 86400),
// taken as one exact fraction before the single rounding: opened × average × rate × won × 86400 ÷
// (100 × cycle_seconds). A zero total cycle (won the instant it was created) has no velocity.
func BuildVelocity(r db.DealVelocityRow) CurrencyVelocity {
	out := CurrencyVelocity{Opened: r.Opened, Won: r.Won, Lost: r.Lost, WonAmount: r.WonAmount}
	if r.Currency != nil {
		out.Currency = *r.Currency
	}
	if r.Won+r.Lost > 0 {
		rate := decimal.NewFromInt(r.Won).Mul(hundred).DivRound(decimal.NewFromInt(r.Won+r.Lost), 2)
		out.WinRate = &rate
	}
	if r.Won == 0 {
		return out
	}
	won := decimal.NewFromInt(r.Won)
	avg := money.New(r.WonAmount.DivRound(won, 2))
	cycle := r.WonCycleSeconds.DivRound(won.Mul(secondsPerDay), 2)
	out.AverageWonAmount, out.AverageCycleDays = &avg, &cycle
	if r.WonCycleSeconds.IsPositive() {
		num := decimal.NewFromInt(r.Opened).Mul(avg.Decimal).Mul(*out.WinRate).Mul(won).Mul(secondsPerDay)
		v := num.DivRound(hundred.Mul(r.WonCycleSeconds.Decimal), 2)
		out.VelocityPerDay = &v
	}
	return out
}
