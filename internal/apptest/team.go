package apptest

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// Roles are the roles of an organization, most powerful first.
var Roles = []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager, client.RoleMember}

// TeamOptions tune NewTeam; nil options are the defaults. By default only the owner is registered
// with the team, each other user when a test first asks for them: registration (argon2id) dominates
// a test's cost, and most tests need two or three of the six users.
type TeamOptions struct {
	// Eager are the roles whose users NewTeam registers and adds at once, in this order: for tests
	// that count or order the organization's members.
	Eager []client.Role
	// App is the service the team registers on (nil: a new one, as New starts it).
	App *App
}

// Team is one organization with a user in every role — Owner, Admin, Manager, Member and a second
// member, Member2 — and an Outsider, who belongs only to the organization registration gave them.
// The users are registered under those names in lower case ("owner", "member2", ...), on a service
// of the team's own.
type Team struct {
	App   *App
	Org   uuid.UUID // the owner's organization, created at registration
	Owner User

	mu    sync.Mutex
	users map[seat]User
}

// NewTeam starts the service and registers the owner, and the users of o.Eager.
func NewTeam(t testing.TB, o *TeamOptions) *Team {
	t.Helper()
	if o == nil {
		o = &TeamOptions{}
	}
	app := o.App
	if app == nil {
		app = New(t)
	}
	tm := &Team{App: app, users: map[seat]User{}}
	tm.Owner = tm.App.Register(t, "owner")
	tm.Org = tm.Owner.OrgID
	for _, role := range o.Eager {
		tm.As(t, role)
	}
	return tm
}

// seat is one of the users a team registers on demand.
type seat int

const (
	admin seat = iota
	manager
	member
	member2
	outsider
)

// seats are the users' names, and their role in the organization ("" for the outsider).
var seats = [...]struct {
	name string
	role client.Role
}{
	admin:    {"admin", client.RoleAdmin},
	manager:  {"manager", client.RoleManager},
	member:   {"member", client.RoleMember},
	member2:  {"member2", client.RoleMember},
	outsider: {"outsider", ""},
}

// user returns the team's user in seat s, registering them (and adding them to the organization
// unless s is the outsider's) on first use.
func (tm *Team) user(t testing.TB, s seat) User {
	t.Helper()
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if u, ok := tm.users[s]; ok {
		return u
	}
	name, role := seats[s].name, seats[s].role
	var u User
	if role == "" {
		u = tm.App.Register(t, name)
	} else {
		u = tm.App.Member(t, tm.Owner, tm.Org, name, role)
	}
	tm.users[s] = u
	return u
}

// Admin, Manager and Member hold those roles. Member2 is a second member: the owner of others'
// records as Member sees them. Outsider belongs to another organization only.
func (tm *Team) Admin(t testing.TB) User    { t.Helper(); return tm.user(t, admin) }
func (tm *Team) Manager(t testing.TB) User  { t.Helper(); return tm.user(t, manager) }
func (tm *Team) Member(t testing.TB) User   { t.Helper(); return tm.user(t, member) }
func (tm *Team) Member2(t testing.TB) User  { t.Helper(); return tm.user(t, member2) }
func (tm *Team) Outsider(t testing.TB) User { t.Helper(); return tm.user(t, outsider) }

// As returns the user holding role (Member for the member role).
func (tm *Team) As(t testing.TB, role client.Role) User {
	t.Helper()
	switch role {
	case client.RoleOwner:
		return tm.Owner
	case client.RoleAdmin:
		return tm.Admin(t)
	case client.RoleManager:
		return tm.Manager(t)
	case client.RoleMember:
		return tm.Member(t)
	}
	t.Fatalf("unknown role %q", role)
	return User{}
}

// Settings changes the organization's settings as its owner and returns the organization.
func (tm *Team) Settings(t testing.TB, s client.OrganizationSettingsUpdate) client.Organization {
	t.Helper()
	res, err := tm.App.Client.UpdateOrganizationWithResponse(t.Context(), tm.Org,
		client.OrganizationUpdate{Settings: &s}, tm.Owner.Auth())
	if err != nil {
		t.Fatalf("update settings: %v", err)
	}
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
		t.Fatalf("update settings: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON200
}

// MembersSeeAll sets the organization's members_see_all.
func (tm *Team) MembersSeeAll(t testing.TB, v bool) {
	t.Helper()
	if got := tm.Settings(t, client.OrganizationSettingsUpdate{MembersSeeAll: &v}).Settings.MembersSeeAll; got != v {
		t.Fatalf("members_see_all is %t after setting it to %t", got, v)
	}
}

// Finally runs check once t and its parallel subtests are done (in t.Cleanup), for what a test
// asserts about all of them. check gets a t whose Context is live: t.Context() itself is already
// cancelled when Cleanup functions run.
func Finally(t testing.TB, check func(t testing.TB)) {
	t.Helper()
	t.Cleanup(func() { check(liveTB{TB: t, ctx: context.Background()}) })
}

// liveTB is a testing.TB whose Context is ctx.
type liveTB struct {
	testing.TB
	ctx context.Context
}

func (l liveTB) Context() context.Context { return l.ctx }
