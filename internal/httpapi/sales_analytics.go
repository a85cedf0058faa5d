package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/shopspring/decimal"
)

// GetDealStageStats answers, per stage, the deals that entered it and the stays that ended in it
// in the last `days` days (default 90), the stays' mean and median length, and the open deals in it.
func (s *Server) GetDealStageStats(ctx context.Context, req api.GetDealStageStatsRequestObject) (api.GetDealStageStatsResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.crm.DealStageStats(ctx, m, salesDays(req.Params.Days))
	if err != nil {
		return nil, err
	}
	out := api.DealStageStats{Days: r.Days, Stages: make([]api.StageStats, len(r.Stages))}
	for i, st := range r.Stages {
		out.Stages[i] = api.StageStats{
			Stage: api.DealStage(st.Stage), Entered: st.Entered, Exited: st.Exited, Current: st.Current,
			AvgSecondsInStage: float(st.AvgSeconds), MedianSecondsInStage: float(st.MedianSeconds),
		}
	}
	return api.GetDealStageStats200JSONResponse(out), nil
}

// GetDealVelocity answers the sales velocity per currency of the last `days` days (default 90).
func (s *Server) GetDealVelocity(ctx context.Context, req api.GetDealVelocityRequestObject) (api.GetDealVelocityResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.crm.DealVelocity(ctx, m, salesDays(req.Params.Days))
	if err != nil {
		return nil, err
	}
	out := api.DealVelocity{Days: r.Days, Currencies: make([]api.CurrencyVelocity, len(r.Currencies))}
	for i, c := range r.Currencies {
		out.Currencies[i] = api.CurrencyVelocity{
			Currency: c.Currency, Opened: c.Opened, Won: c.Won, Lost: c.Lost,
			WinRate: float(c.WinRate), WonAmount: c.WonAmount, AverageWonAmount: c.AverageWonAmount,
			AverageCycleDays: float(c.AverageCycleDays), VelocityPerDay: float(c.VelocityPerDay),
		}
	}
	return api.GetDealVelocity200JSONResponse(out), nil
}

// GetDealForecast answers the open pipeline per currency, weighted by the stage probabilities.
func (s *Server) GetDealForecast(ctx context.Context, _ api.GetDealForecastRequestObject) (api.GetDealForecastResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.crm.DealForecast(ctx, m)
	if err != nil {
		return nil, err
	}
	out := api.DealForecast{Currencies: make([]api.CurrencyForecast, len(rows))}
	for i, c := range rows {
		out.Currencies[i] = api.CurrencyForecast{
			Currency: c.Currency, OpenDeals: c.OpenDeals, PipelineAmount: c.PipelineAmount, WeightedAmount: c.WeightedAmount,
		}
	}
	return api.GetDealForecast200JSONResponse(out), nil
}

func salesDays(days *int32) int32 {
	if days == nil {
		return crm.DefaultSalesDays
	}
	return *days
}

// float is a figure already rounded to 2 decimals as a JSON number, or nil; the float64 of a
// 2-decimal value prints back as that value.
func float(d *decimal.Decimal) *float64 {
	if d == nil {
		return nil
	}
	f := d.InexactFloat64()
	return &f
}
