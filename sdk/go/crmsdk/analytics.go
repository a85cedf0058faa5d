package crmsdk

import (
	"context"

	"github.com/minicrm/crm/gen/client"
)

// AnalyticsService reads the deal analytics of the selected organization:
// /api/v1/analytics/deals/...
type AnalyticsService service

// Summary counts the deals by status, with the won and open amounts per currency; params.Days
// sets the period of NewDeals.
func (s *AnalyticsService) Summary(ctx context.Context, params *GetDealSummaryParams, opts ...RequestOption) (*DealSummary, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetDealSummaryResponse, error) {
		return s.c.GetDealSummaryWithResponse(ctx, params, o...)
	}, func(r *client.GetDealSummaryResponse) *DealSummary { return r.JSON200 })
}

// Funnel counts the open deals per stage.
func (s *AnalyticsService) Funnel(ctx context.Context, opts ...RequestOption) (*DealFunnel, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetDealFunnelResponse, error) {
		return s.c.GetDealFunnelWithResponse(ctx, o...)
	}, func(r *client.GetDealFunnelResponse) *DealFunnel { return r.JSON200 })
}

// StageStats reports, per stage, how many deals entered and left it within params.Days.
func (s *AnalyticsService) StageStats(ctx context.Context, params *GetDealStageStatsParams, opts ...RequestOption) (*DealStageStats, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetDealStageStatsResponse, error) {
		return s.c.GetDealStageStatsWithResponse(ctx, params, o...)
	}, func(r *client.GetDealStageStatsResponse) *DealStageStats { return r.JSON200 })
}

// Velocity reports how long the deals closed within params.Days took, per currency.
func (s *AnalyticsService) Velocity(ctx context.Context, params *GetDealVelocityParams, opts ...RequestOption) (*DealVelocity, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetDealVelocityResponse, error) {
		return s.c.GetDealVelocityWithResponse(ctx, params, o...)
	}, func(r *client.GetDealVelocityResponse) *DealVelocity { return r.JSON200 })
}

// Forecast weighs the open deals by the organization's stage probabilities, per currency.
func (s *AnalyticsService) Forecast(ctx context.Context, opts ...RequestOption) (*DealForecast, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetDealForecastResponse, error) {
		return s.c.GetDealForecastWithResponse(ctx, o...)
	}, func(r *client.GetDealForecastResponse) *DealForecast { return r.JSON200 })
}
