package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/tenancy"
)

// GetDealSummary answers counts and exact sums per status and currency, the won average and the
// deals created in the last `days` days (default 30).
func (s *Server) GetDealSummary(ctx context.Context, req api.GetDealSummaryRequestObject) (api.GetDealSummaryResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	days := crm.DefaultSummaryDays
	if req.Params.Days != nil {
		days = *req.Params.Days
	}
	sum, err := s.crm.DealSummary(ctx, m, days)
	if err != nil {
		return nil, err
	}
	return api.GetDealSummary200JSONResponse(toDealSummary(sum)), nil
}

// GetDealFunnel answers the deals per stage, the deals that reached each stage and the conversion
// between stages.
func (s *Server) GetDealFunnel(ctx context.Context, _ api.GetDealFunnelRequestObject) (api.GetDealFunnelResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	f, err := s.crm.DealFunnel(ctx, m)
	if err != nil {
		return nil, err
	}
	return api.GetDealFunnel200JSONResponse(toDealFunnel(f)), nil
}

func toDealSummary(s crm.Summary) api.DealSummary {
	out := api.DealSummary{
		ByStatus:   make([]api.StatusSummary, len(s.ByStatus)),
		WonAverage: make([]api.CurrencyAverage, len(s.WonAverage)),
	}
	for i, st := range s.ByStatus {
		amounts := make([]api.CurrencyAmount, len(st.Amounts))
		for j, a := range st.Amounts {
			amounts[j] = api.CurrencyAmount{Currency: a.Currency, Total: a.Value}
		}
		out.ByStatus[i] = api.StatusSummary{Status: api.DealStatus(st.Status), Count: st.Count, Amounts: amounts}
	}
	for i, a := range s.WonAverage {
		out.WonAverage[i] = api.CurrencyAverage{Currency: a.Currency, Average: a.Value}
	}
	out.NewDeals.Days, out.NewDeals.Count = s.Days, s.NewDeals
	return out
}

func toDealFunnel(f crm.Funnel) api.DealFunnel {
	out := api.DealFunnel{Stages: make([]api.FunnelStage, len(f.Stages))}
	for i, st := range f.Stages {
		var conv *float64
		if st.ConversionFromPrevious != nil {
			c := st.ConversionFromPrevious.InexactFloat64()
			conv = &c
		}
		out.Stages[i] = api.FunnelStage{
			Stage: api.DealStage(st.Stage),
			Count: st.Count,
			ByStatus: api.StatusCounts{
				New: st.ByStatus.New, InProgress: st.ByStatus.InProgress, Won: st.ByStatus.Won, Lost: st.ByStatus.Lost,
			},
			Reached:                st.Reached,
			ConversionFromPrevious: conv,
		}
	}
	return out
}
