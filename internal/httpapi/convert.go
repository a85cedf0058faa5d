package httpapi

import (
	"time"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/orgs"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// Conversions from domain rows to the generated API models.
//
// The answer models' nullable fields are plain pointers (gen/api/overlay.yaml, issue 9): nil is
// written as null, and a stored optional value is handed over as is, without a copy, when its
// API form is the same Go type (the rows are not changed after they are converted).

func toUser(u auth.User) api.User {
	return api.User{Id: u.ID, Email: u.Email, Name: u.Name, CreatedAt: u.CreatedAt.UTC()}
}

func toOrganization(o orgs.Organization) api.Organization {
	return api.Organization{
		Id:   o.ID,
		Name: o.Name,
		Settings: api.OrganizationSettings{
			MembersSeeAll: o.MembersSeeAll, DefaultCurrency: o.DefaultCurrency, Timezone: o.Timezone,
			StageProbabilities: api.StageProbabilities{
				Qualification: int32(o.StageProbabilityQualification), Proposal: int32(o.StageProbabilityProposal),
				Negotiation: int32(o.StageProbabilityNegotiation), Closed: int32(o.StageProbabilityClosed),
			},
		},
		CreatedAt: o.CreatedAt.UTC(),
		UpdatedAt: o.UpdatedAt.UTC(),
	}
}

func toMember(m orgs.Member) api.Member {
	return api.Member{UserId: m.UserID, Email: m.Email, Name: m.Name, Role: api.Role(m.Role), JoinedAt: m.CreatedAt.UTC()}
}

// utcTime is the stored instant t in UTC, or nil; t itself when it already is in UTC.
func utcTime(t *time.Time) *time.Time {
	if t == nil || t.Location() == time.UTC {
		return t
	}
	u := t.UTC()
	return &u
}

// calendarDate is the stored calendar date d (its year, month and day) as an API date, or nil.
func calendarDate(d *time.Time) *openapi_types.Date {
	if d == nil {
		return nil
	}
	return &openapi_types.Date{Time: *d}
}
