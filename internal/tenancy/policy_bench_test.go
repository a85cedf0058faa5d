package tenancy_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/tenancy"
)

var sinkBool bool
var sinkErr error

// BenchmarkCan is one lookup in the role table, as every handler makes at least once.
//
//	go test -run '^$' -bench . -count 10 ./internal/tenancy
func BenchmarkCan(b *testing.B) {
	b.Run("allowed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkBool = tenancy.Can(tenancy.RoleMember, tenancy.ReadRecords)
		}
	})
	b.Run("denied", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkBool = tenancy.Can(tenancy.RoleMember, tenancy.DeleteOrganization)
		}
	})
	b.Run("every-pair", func(b *testing.B) {
		roles, actions := tenancy.Roles(), tenancy.Actions()
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range roles {
				for _, a := range actions {
					sinkBool = tenancy.Can(r, a)
				}
			}
		}
	})
}

// BenchmarkMembershipRequire is the handler-side check on a resolved membership.
func BenchmarkMembershipRequire(b *testing.B) {
	m := tenancy.Membership{
		Principal:      tenancy.Principal{UserID: uuid.New(), SessionID: uuid.New()},
		OrganizationID: uuid.New(),
		Role:           tenancy.RoleManager,
		Settings:       tenancy.Settings{MembersSeeAll: true, DefaultCurrency: "EUR", Timezone: "Europe/Berlin"},
	}
	b.Run("allowed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = m.Require(tenancy.ModifyAnyRecord)
		}
		if sinkErr != nil {
			b.Fatal(sinkErr)
		}
	})
	b.Run("forbidden", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = m.Require(tenancy.ManageOwners)
		}
		if sinkErr == nil {
			b.Fatal("allowed")
		}
	})
}
