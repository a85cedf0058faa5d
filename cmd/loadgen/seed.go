package main

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/bench"
)

// benchPassword is every seeded user's password; it is hashed once (argon2id) and the hash reused.
const benchPassword = "bench-correct-horse-battery-staple"

// sampleIDs is how many deal and contact ids of each organization the load keeps in memory.
const sampleIDs = 200

// seededUser is one seeded account.
type seededUser struct {
	ID    uuid.UUID
	Email string
	Role  string
}

// seededOrg is what the load needs to know of one seeded organization.
type seededOrg struct {
	ID       uuid.UUID
	Contacts int
	Deals    int
	Users    []seededUser
	// ContactIDs and DealIDs are samples (at most sampleIDs each) for get, create and patch.
	ContactIDs []uuid.UUID
	DealIDs    []uuid.UUID
}

// seedStats counts the rows written.
type seedStats struct {
	Orgs, Users, Contacts, Deals, Tasks, Activities int
	Seconds                                         float64
}

var (
	firstNames = []string{"Ada", "Alan", "Grace", "Linus", "Barbara", "Donald", "Edsger", "Frances", "Ken", "Margaret",
		"Niklaus", "Radia", "Tim", "Hedy", "John", "Katherine", "Dennis", "Shafi", "Leslie", "Sophie"}
	lastNames = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Knuth", "Dijkstra", "Allen", "Thompson",
		"Hamilton", "Wirth", "Perlman", "Berners-Lee", "Lamarr", "Backus", "Johnson", "Ritchie", "Goldwasser", "Lamport", "Wilson"}
	companies = []string{"Analytical Engines", "Bletchley Works", "Cobol Systems", "Kernel Labs", "Difference Ltd",
		"Compiler Co", "Semaphore GmbH", "Fortran Foods", "Unix Partners", "Apollo Software"}
	stages = []string{"qualification", "proposal", "negotiation", "closed"}
)

// usersFor is how many users an organization of n contacts has: 3 to 12.
func usersFor(n int) int { return min(12, 3+n/2000) }

// roleOf gives the j-th user of an organization its role: an owner, an admin, a manager, then
// members with every fourth a manager.
func roleOf(j int) string {
	switch {
	case j == 0:
		return "owner"
	case j == 1:
		return "admin"
	case j == 2 || j%4 == 0:
		return "manager"
	default:
		return "member"
	}
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func numeric(cents int64) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(cents), Exp: -2, Valid: true}
}

// seed writes orgs organizations (Zipf sizes) into the freshly migrated database with COPY and
// returns them; then VACUUM ANALYZE.
func seed(ctx context.Context, pool *pgxpool.Pool, o options) ([]*seededOrg, seedStats, error) {
	start := time.Now()
	r := rand.New(rand.NewPCG(o.seed, 0x5eed))
	hash, err := auth.HashPassword(ctx, benchPassword)
	if err != nil {
		return nil, seedStats{}, fmt.Errorf("hash password: %w", err)
	}
	sizes := bench.ZipfSizes(o.orgs, o.minContacts, o.maxContacts)
	now := time.Now().UTC()
	var users, orgRows, members, contacts, deals, tasks, activities [][]any
	orgs := make([]*seededOrg, 0, len(sizes))
	for k, n := range sizes {
		org := &seededOrg{ID: newID(), Contacts: n}
		orgs = append(orgs, org)
		orgRows = append(orgRows, []any{org.ID, fmt.Sprintf("Bench organization %03d", k+1)})
		for j := range usersFor(n) {
			u := seededUser{ID: newID(), Email: fmt.Sprintf("bench-o%03d-u%02d@example.com", k+1, j), Role: roleOf(j)}
			org.Users = append(org.Users, u)
			users = append(users, []any{u.ID, u.Email, hash, fmt.Sprintf("%s %s", firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))])})
			members = append(members, []any{org.ID, u.ID, u.Role})
		}
		owner := func() uuid.UUID { return org.Users[r.IntN(len(org.Users))].ID }
		// Records spread over the last year, in creation order (UUIDv7 ids are made in order too).
		span := 365 * 24 * time.Hour
		step := span / time.Duration(max(1, 2*n))
		t0 := now.Add(-span)
		contactIDs := make([]uuid.UUID, n)
		for i := range n {
			id := newID()
			contactIDs[i] = id
			at := t0.Add(time.Duration(i) * step)
			var phone, company any
			if r.IntN(10) < 7 {
				phone = fmt.Sprintf("+1-555-%04d", r.IntN(10000))
			}
			if r.IntN(10) < 6 {
				company = companies[r.IntN(len(companies))]
			}
			name := fmt.Sprintf("%s %s %d", firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], i)
			contacts = append(contacts, []any{org.ID, id, owner(), name, fmt.Sprintf("c%d@o%03d.example.com", i, k+1), phone, company, at, at})
		}
		org.ContactIDs = sample(contactIDs, r)
		// One deal per contact on average (0 to 2), each with 0 to 3 tasks and a timeline of its
		// creation plus 0 to 4 comments.
		var dealIDs []uuid.UUID
		for i, cid := range contactIDs {
			for range r.IntN(3) {
				id := newID()
				dealIDs = append(dealIDs, id)
				at := t0.Add(time.Duration(n+i) * step)
				stage := stages[pickStage(r)]
				status := "in_progress"
				switch {
				case stage == "closed" && r.IntN(10) < 6:
					status = "won"
				case stage == "closed":
					status = "lost"
				case stage == "qualification" && r.IntN(2) == 0:
					status = "new"
				}
				ow := owner()
				deals = append(deals, []any{org.ID, id, cid, ow, fmt.Sprintf("Deal %d-%d", k+1, len(dealIDs)),
					numeric(int64(100+r.IntN(50000)) * 100), "EUR", status, stage, at, at})
				activities = append(activities, []any{org.ID, newID(), id, ow, "deal_created", []byte(`{}`), at})
				for c := range r.IntN(5) {
					activities = append(activities, []any{org.ID, newID(), id, owner(), "comment",
						fmt.Appendf(nil, `{"text":"Called them back (%d)"}`, c), at.Add(time.Duration(c+1) * time.Hour)})
				}
				for range r.IntN(4) {
					due := pgtype.Date{Time: at.AddDate(0, 0, r.IntN(60)), Valid: true}
					done := r.IntN(3) == 0
					var completed any
					if done {
						completed = at.Add(24 * time.Hour)
					}
					tasks = append(tasks, []any{org.ID, newID(), id, owner(), "Follow up", due, done, completed, at, at})
				}
			}
		}
		org.Deals = len(dealIDs)
		org.DealIDs = sample(dealIDs, r)
	}
	copies := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"users", []string{"id", "email", "password_hash", "name"}, users},
		{"organizations", []string{"id", "name"}, orgRows},
		{"organization_members", []string{"organization_id", "user_id", "role"}, members},
		{"contacts", []string{"organization_id", "id", "owner_id", "name", "email", "phone", "company", "created_at", "updated_at"}, contacts},
		{"deals", []string{"organization_id", "id", "contact_id", "owner_id", "title", "amount", "currency", "status", "stage", "created_at", "updated_at"}, deals},
		{"tasks", []string{"organization_id", "id", "deal_id", "owner_id", "title", "due_date", "is_done", "completed_at", "created_at", "updated_at"}, tasks},
		{"activities", []string{"organization_id", "id", "deal_id", "author_id", "type", "payload", "created_at"}, activities},
	}
	for _, c := range copies {
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return nil, seedStats{}, fmt.Errorf("copy %s: %w", c.table, err)
		}
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return nil, seedStats{}, fmt.Errorf("vacuum analyze: %w", err)
	}
	st := seedStats{Orgs: len(orgRows), Users: len(users), Contacts: len(contacts), Deals: len(deals),
		Tasks: len(tasks), Activities: len(activities), Seconds: time.Since(start).Seconds()}
	return orgs, st, nil
}

// pickStage: 40% qualification, 25% proposal, 15% negotiation, 20% closed.
func pickStage(r *rand.Rand) int {
	x := r.IntN(100)
	switch {
	case x < 40:
		return 0
	case x < 65:
		return 1
	case x < 80:
		return 2
	default:
		return 3
	}
}

func sample(ids []uuid.UUID, r *rand.Rand) []uuid.UUID {
	if len(ids) <= sampleIDs {
		return append([]uuid.UUID(nil), ids...)
	}
	out := make([]uuid.UUID, sampleIDs)
	for i := range out {
		out[i] = ids[r.IntN(len(ids))]
	}
	return out
}
