// Package demo fills a database with a demo organization — an owner, a team, contacts, deals
// spread over the funnel with their history, tasks and comments — so that a newcomer sees a living
// CRM at once (`crm seed --demo`). Everything after the team is made through the CRM's own rules
// (internal/crm), as a user of the API would make it, so the timelines are the real ones.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/orgs"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/money"
)

// OrganizationName is the name of the demo organization.
const OrganizationName = "Demo Company"

// OwnerEmail is the demo owner's login; the team logs in as Team's emails.
const OwnerEmail = "demo@example.com"

// Person is a member of the demo team.
type Person struct {
	Email string
	Name  string
	Role  tenancy.Role
}

// Team is the demo organization's members: the owner first, then an admin, a manager and two
// members. All log in with the same password.
var Team = []Person{
	{OwnerEmail, "Dana Demo", tenancy.RoleOwner},
	{"demo-admin@example.com", "Alex Admin", tenancy.RoleAdmin},
	{"demo-manager@example.com", "Morgan Manager", tenancy.RoleManager},
	{"demo-member1@example.com", "Sam Seller", tenancy.RoleMember},
	{"demo-member2@example.com", "Riley Rep", tenancy.RoleMember},
}

// How much demo data is made.
const (
	Contacts = 50
	Deals    = 40
)

// Result is what Seed made, or found.
type Result struct {
	OrganizationID uuid.UUID
	// Existing is true when the demo organization was already there: nothing was changed (and
	// the password is the one chosen when it was made).
	Existing bool
	Contacts int
	Deals    int
	Tasks    int
	Comments int
	// Stages counts the deals per stage, Statuses per status.
	Stages   map[string]int
	Statuses map[string]int
}

// MinPasswordLength is the API's own lower bound: a shorter password could never log in.
const MinPasswordLength = 8

// Seed makes the demo organization with password for every member of Team, or, when the demo
// owner already exists, changes nothing and says where it is (Result.Existing).
func Seed(ctx context.Context, store *platform.DB, password string) (Result, error) {
	if len(password) < MinPasswordLength {
		return Result{}, fmt.Errorf("the demo password must have at least %d characters", MinPasswordLength)
	}
	q := store.Queries()
	if owner, err := q.GetUserByEmail(ctx, OwnerEmail); err == nil {
		return existing(ctx, q, owner.ID)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Result{}, fmt.Errorf("look for the demo owner: %w", err)
	}

	team, org, err := createTeam(ctx, store, password)
	if err != nil {
		return Result{}, err
	}
	s := &seeder{svc: crm.NewService(store), team: team, res: Result{
		OrganizationID: org.ID, Stages: map[string]int{}, Statuses: map[string]int{},
	}}
	settings := tenancy.Settings{MembersSeeAll: org.MembersSeeAll, DefaultCurrency: org.DefaultCurrency, Timezone: org.Timezone}
	for i := range s.team {
		s.team[i].OrganizationID, s.team[i].Settings = org.ID, settings
	}
	since, err := q.DatabaseClock(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("read the database's clock: %w", err)
	}
	if err := s.run(ctx); err != nil {
		return Result{}, err
	}
	if err := spread(ctx, q, org.ID, since); err != nil {
		return Result{}, err
	}
	return s.res, nil
}

// History is how far back the demo's history reaches once spread: the contacts come first, the
// last deal today, each deal's moves in the days after its creation.
const History = 60 * 24 * time.Hour

// spread turns the few seconds in which the demo was made (since to the database's now) into History: made at
// the pace of a program, every stay in a stage would last milliseconds and the sales cycle would
// be zero days (a velocity of trillions a day).
func spread(ctx context.Context, q *db.Queries, org uuid.UUID, since time.Time) error {
	now, err := q.DatabaseClock(ctx)
	if err != nil {
		return fmt.Errorf("read the database's clock: %w", err)
	}
	made := max(now.Sub(since), time.Millisecond)
	if err := q.SpreadDemoHistory(ctx, db.SpreadDemoHistoryParams{
		OrganizationID: org, Since: since, Now: now, Factor: float64(History) / float64(made),
	}); err != nil {
		return fmt.Errorf("spread the demo's history: %w", err)
	}
	return nil
}

// existing finds the demo organization the demo owner owns.
func existing(ctx context.Context, q *db.Queries, owner uuid.UUID) (Result, error) {
	rows, err := q.ListUserOrganizations(ctx, owner)
	if err != nil {
		return Result{}, fmt.Errorf("list the demo owner's organizations: %w", err)
	}
	for _, r := range rows {
		if r.Organization.Name == OrganizationName && r.Role == string(tenancy.RoleOwner) {
			return Result{OrganizationID: r.Organization.ID, Existing: true}, nil
		}
	}
	return Result{}, fmt.Errorf("%s is already registered but owns no %q: not seeding over a real account", OwnerEmail, OrganizationName)
}

// createTeam creates the users, the organization (owned by the first) and the memberships in one
// transaction. The memberships are written directly, as registration writes the owner's: adding
// members through the API is the organization's invitation flow, which a seed has no one to answer.
func createTeam(ctx context.Context, store *platform.DB, password string) ([]tenancy.Membership, orgs.Organization, error) {
	hashes := make([]string, len(Team))
	for i := range Team {
		h, err := auth.HashPassword(ctx, password)
		if err != nil {
			return nil, orgs.Organization{}, err
		}
		hashes[i] = h
	}
	team := make([]tenancy.Membership, len(Team))
	var org orgs.Organization
	err := store.InTx(ctx, func(q *db.Queries) error {
		for i, p := range Team {
			u, err := q.CreateUser(ctx, db.CreateUserParams{
				ID: uuid.Must(uuid.NewV7()), Email: auth.NormalizeEmail(p.Email), PasswordHash: hashes[i], Name: p.Name,
			})
			if platform.IsUniqueViolation(err, "users_email_key") {
				return fmt.Errorf("%s is already registered: the demo team needs its addresses free", p.Email)
			}
			if err != nil {
				return fmt.Errorf("create %s: %w", p.Email, err)
			}
			team[i] = tenancy.Membership{Principal: tenancy.Principal{UserID: u.ID}, Role: p.Role}
		}
		var err error
		if org, err = orgs.CreateWithOwner(ctx, q, OrganizationName, team[0].UserID); err != nil {
			return err
		}
		for _, m := range team[1:] {
			if _, err := q.AddMember(ctx, db.AddMemberParams{OrganizationID: org.ID, UserID: m.UserID, Role: string(m.Role)}); err != nil {
				return fmt.Errorf("add member: %w", err)
			}
		}
		return nil
	})
	return team, org, err
}

type seeder struct {
	svc  *crm.Service
	team []tenancy.Membership // owner, admin, manager, member, member
	res  Result
}

var (
	firstNames = []string{"Ada", "Ben", "Chloe", "Diego", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
		"Kira", "Liam", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Xena", "Yusuf"}
	lastNames = []string{"Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Kowalski", "Haddad", "Berg", "Costa"}
	companies = []string{"Acme Robotics", "Blue Harbor Foods", "Cedar Analytics", "Delta Freight", "Evergreen Clinics",
		"Fjord Energy", "Granite Legal", "Helios Solar", "Iris Optics", "Juniper Hotels", "Keystone Builders",
		"Lumen Media", "Maple Insurance", "Nimbus Cloud", "Orchid Cosmetics", "Pinnacle Sports", "Quartz Labs"}
	products = []string{"annual licence", "pilot project", "support plan", "onboarding package", "fleet upgrade",
		"data migration", "training days", "expansion seats"}
	comments = []string{
		"Call went well: they want a quote by Friday.",
		"Decision maker is the CFO; budget confirmed for this quarter.",
		"Sent the revised proposal with the volume discount.",
		"They compare us with two other vendors; our support plan is the difference.",
		"Legal review of the contract is under way.",
		"Asked for references from the same industry.",
	}
	taskTitles = []string{"Send the proposal", "Schedule a demo", "Follow-up call", "Prepare the contract",
		"Check the budget with finance", "Send references"}
)

// funnel is where the deals end, in order: how many of them reach which stage and status.
var funnel = []struct {
	n      int
	stage  string
	status string
}{
	{8, "qualification", "new"},
	{4, "qualification", "in_progress"},
	{9, "proposal", "in_progress"},
	{7, "negotiation", "in_progress"},
	{7, "closed", "won"},
	{5, "closed", "lost"},
}

var stageOrder = []string{"qualification", "proposal", "negotiation", "closed"}

func (s *seeder) run(ctx context.Context) error {
	owner, manager := s.team[0], s.team[2]
	contacts := make([]crm.Contact, 0, Contacts)
	for i := range Contacts {
		first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames)+i)%len(lastNames)]
		company := companies[i%len(companies)]
		email := fmt.Sprintf("%s.%s@%s.example", strings.ToLower(first), strings.ToLower(last),
			strings.ToLower(strings.ReplaceAll(company, " ", "-")))
		phone := fmt.Sprintf("+1 555 01%02d", i)
		ownerID := s.team[i%len(s.team)].UserID
		c, err := s.svc.CreateContact(ctx, manager, crm.NewContact{
			Name: first + " " + last, Email: &email, Phone: &phone, Company: &company, OwnerID: &ownerID,
		})
		if err != nil {
			return fmt.Errorf("contact %d: %w", i, err)
		}
		contacts = append(contacts, c)
	}
	s.res.Contacts = len(contacts)

	i := 0
	for _, f := range funnel {
		for range f.n {
			c := contacts[(i*7)%len(contacts)]
			dealOwner := s.team[(i%4)+1] // the admin, the manager and the two members sell
			amount := money.MustParse(fmt.Sprintf("%d.%02d", 1200+(i*937)%24000, (i*37)%100))
			title := fmt.Sprintf("%s — %s", derefOr(c.Company, c.Name), products[i%len(products)])
			d, err := s.svc.CreateDeal(ctx, manager, crm.NewDeal{ContactID: c.ID, Title: title, Amount: &amount, OwnerID: &dealOwner.UserID})
			if err != nil {
				return fmt.Errorf("deal %d: %w", i, err)
			}
			if d, err = s.advance(ctx, dealOwner, d, f.stage, f.status); err != nil {
				return fmt.Errorf("deal %d: %w", i, err)
			}
			// One negotiation went back to the proposal: an owner may move a deal back.
			if i == 25 {
				if d, err = s.svc.UpdateDeal(ctx, owner, d.ID, crm.DealPatch{Stage: patch.Set("proposal")}, nil); err != nil {
					return fmt.Errorf("deal %d back to proposal: %w", i, err)
				}
			}
			if err := s.extras(ctx, i, dealOwner, d); err != nil {
				return fmt.Errorf("deal %d: %w", i, err)
			}
			s.res.Deals++
			s.res.Stages[d.Stage]++
			s.res.Statuses[d.Status]++
			i++
		}
	}
	return nil
}

// advance walks the deal forward one stage at a time, as a seller would, then sets its status.
func (s *seeder) advance(ctx context.Context, as tenancy.Membership, d crm.Deal, stage, status string) (crm.Deal, error) {
	var err error
	if status != "new" && d.Status == "new" && status != "won" && status != "lost" {
		if d, err = s.svc.UpdateDeal(ctx, as, d.ID, crm.DealPatch{Status: patch.Set(status)}, nil); err != nil {
			return d, err
		}
	}
	for next := crm.StageIndex(d.Stage) + 1; next <= crm.StageIndex(stage); next++ {
		p := crm.DealPatch{Stage: patch.Set(stageOrder[next])}
		if d.Status == "new" {
			p.Status = patch.Set("in_progress")
		}
		if stageOrder[next] == "closed" {
			p.Status = patch.Set(status)
		}
		if d, err = s.svc.UpdateDeal(ctx, as, d.ID, p, nil); err != nil {
			return d, err
		}
	}
	return d, nil
}

// extras adds tasks (some done) to most open deals and comments to some deals.
func (s *seeder) extras(ctx context.Context, i int, as tenancy.Membership, d crm.Deal) error {
	if i%3 != 2 {
		due := time.Now().UTC().AddDate(0, 0, 2+i%20)
		t, err := s.svc.CreateTask(ctx, as, crm.NewTask{DealID: d.ID, Title: taskTitles[i%len(taskTitles)], DueDate: &due})
		if err != nil {
			return fmt.Errorf("task: %w", err)
		}
		s.res.Tasks++
		if d.Stage == "closed" || i%5 == 0 {
			if _, err := s.svc.UpdateTask(ctx, as, t.ID, crm.TaskPatch{IsDone: patch.Set(true)}, nil); err != nil {
				return fmt.Errorf("complete task: %w", err)
			}
		}
	}
	if i%2 == 0 {
		for k := range 1 + i%3 {
			author := as
			if k == 1 {
				author = s.team[2] // the manager chimes in
			}
			if _, err := s.svc.AddComment(ctx, author, d.ID, crm.ActivityComment, comments[(i+k)%len(comments)]); err != nil {
				return fmt.Errorf("comment: %w", err)
			}
			s.res.Comments++
		}
	}
	return nil
}

func derefOr(p *string, def string) string {
	if p != nil {
		return *p
	}
	return def
}
