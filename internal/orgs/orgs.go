// Package orgs holds the rules for organizations, their settings and their members.
package orgs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
)

// Service is the organizations and members domain.
type Service struct {
	store *platform.DB
	q     *db.Queries
}

// NewService returns a Service on store.
func NewService(store *platform.DB) *Service { return &Service{store: store, q: store.Queries()} }

// Organization is an organization with its settings.
type Organization = db.Organization

// CreateWithOwner inserts an organization with default settings and makes userID its owner. It runs
// on q so that registration can do it in the same transaction as creating the user.
func CreateWithOwner(ctx context.Context, q *db.Queries, name string, userID uuid.UUID) (Organization, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Organization{}, err
	}
	org, err := q.CreateOrganization(ctx, db.CreateOrganizationParams{ID: id, Name: name})
	if err != nil {
		return Organization{}, fmt.Errorf("create organization: %w", err)
	}
	if _, err := q.AddMember(ctx, db.AddMemberParams{
		OrganizationID: org.ID, UserID: userID, Role: string(tenancy.RoleOwner),
	}); err != nil {
		return Organization{}, fmt.Errorf("add owner: %w", err)
	}
	return org, nil
}

// Create makes a new organization owned by the caller.
func (s *Service) Create(ctx context.Context, p tenancy.Principal, name string) (Organization, error) {
	var org Organization
	err := s.store.InTx(ctx, func(q *db.Queries) error {
		var err error
		org, err = CreateWithOwner(ctx, q, name, p.UserID)
		return err
	})
	return org, err
}

// MyOrganization is an organization with the caller's role in it.
type MyOrganization struct {
	Organization
	Role tenancy.Role
}

// ListMine returns the caller's organizations, oldest membership first.
func (s *Service) ListMine(ctx context.Context, p tenancy.Principal) ([]MyOrganization, error) {
	rows, err := s.q.ListUserOrganizations(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	out := make([]MyOrganization, len(rows))
	for i, r := range rows {
		out[i] = MyOrganization{Organization: r.Organization, Role: tenancy.Role(r.Role)}
	}
	return out, nil
}

// Get returns the organization the caller is a member of.
func (s *Service) Get(ctx context.Context, m tenancy.Membership) (Organization, error) {
	org, err := s.q.GetOrganization(ctx, m.OrganizationID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Organization{}, apperr.ErrNotAMember // deleted between the membership check and now
	}
	return org, err
}

// Update is a partial change of the organization's name and settings; nil fields are kept.
type Update struct {
	Name            *string
	MembersSeeAll   *bool
	DefaultCurrency *string
	Timezone        *string
	// StageProbabilities: the stages named take the new percentage (0..100), the others keep theirs.
	StageProbabilities StageProbabilities
}

// StageProbabilities are the forecast's weights of the funnel stages in percent; nil is unchanged.
type StageProbabilities struct {
	Qualification, Proposal, Negotiation, Closed *int32
}

// Update changes name and settings (owner, admin).
func (s *Service) Update(ctx context.Context, m tenancy.Membership, u Update) (Organization, error) {
	if err := m.Require(tenancy.ManageSettings); err != nil {
		return Organization{}, err
	}
	if u.Timezone != nil {
		if _, err := time.LoadLocation(*u.Timezone); err != nil || *u.Timezone == "Local" {
			return Organization{}, apperr.Validation("settings.timezone", "must be an IANA time zone such as Europe/Berlin")
		}
	}
	params := db.UpdateOrganizationParams{
		OrganizationID: m.OrganizationID, Name: u.Name, MembersSeeAll: u.MembersSeeAll,
		DefaultCurrency: u.DefaultCurrency, Timezone: u.Timezone,
	}
	var err error
	p := u.StageProbabilities
	for _, pr := range []struct {
		stage string
		v     *int32
		into  **int16
	}{
		{"qualification", p.Qualification, &params.StageProbabilityQualification},
		{"proposal", p.Proposal, &params.StageProbabilityProposal},
		{"negotiation", p.Negotiation, &params.StageProbabilityNegotiation},
		{"closed", p.Closed, &params.StageProbabilityClosed},
	} {
		if *pr.into, err = percent("settings.stage_probabilities."+pr.stage, pr.v); err != nil {
			return Organization{}, err
		}
	}
	org, err := s.q.UpdateOrganization(ctx, params)
	if errors.Is(err, pgx.ErrNoRows) {
		return Organization{}, apperr.ErrNotAMember
	}
	return org, err
}

// percent is a stage probability as stored, or nil when v is; the spec bounds it, and so does this.
func percent(field string, v *int32) (*int16, error) {
	if v == nil {
		return nil, nil
	}
	if *v < 0 || *v > 100 {
		return nil, apperr.Validation(field, "must be between 0 and 100")
	}
	p := int16(*v)
	return &p, nil
}

// Delete removes the organization and, by cascade, all of its data (owner only).
func (s *Service) Delete(ctx context.Context, m tenancy.Membership) error {
	if err := m.Require(tenancy.DeleteOrganization); err != nil {
		return err
	}
	_, err := s.q.DeleteOrganization(ctx, m.OrganizationID)
	return err
}
