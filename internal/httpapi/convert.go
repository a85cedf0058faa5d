package httpapi

import (
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/orgs"
)

// Conversions from domain rows to the generated API models.

func toUser(u auth.User) api.User {
	return api.User{Id: u.ID, Email: u.Email, Name: u.Name, CreatedAt: u.CreatedAt.UTC()}
}

func toOrganization(o orgs.Organization) api.Organization {
	return api.Organization{
		Id:   o.ID,
		Name: o.Name,
		Settings: api.OrganizationSettings{
			MembersSeeAll: o.MembersSeeAll, DefaultCurrency: o.DefaultCurrency, Timezone: o.Timezone,
		},
		CreatedAt: o.CreatedAt.UTC(),
		UpdatedAt: o.UpdatedAt.UTC(),
	}
}

func toMember(m orgs.Member) api.Member {
	return api.Member{UserId: m.UserID, Email: m.Email, Name: m.Name, Role: api.Role(m.Role), JoinedAt: m.CreatedAt.UTC()}
}
