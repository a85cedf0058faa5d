package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/money"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- fixtures ----

var (
	rulesOrg      = uuid.MustParse("0193a0c4-0000-7000-8000-00000000000a")
	rulesDealOwn  = uuid.MustParse("0193a0c4-0000-7000-8000-0000000000d0") // owns the deal in most cases
	rulesContact  = uuid.MustParse("0193a0c4-0000-7000-8000-0000000000c1")
	rulesContact2 = uuid.MustParse("0193a0c4-0000-7000-8000-0000000000c2")
	rulesOther    = uuid.MustParse("0193a0c4-0000-7000-8000-0000000000e1") // another member of the organization
)

// rulesActor is one kind of caller of ApplyDealPatch: a role, whether the caller owns the deal, and
// the organization's members_see_all setting.
type rulesActor struct {
	name   string
	role   tenancy.Role
	ownsIt bool
	seeAll bool
	userID uuid.UUID
}

func (a rulesActor) membership() tenancy.Membership {
	return tenancy.Membership{
		Principal:      tenancy.Principal{UserID: a.userID, SessionID: uuid.New()},
		OrganizationID: rulesOrg,
		Role:           a.role,
		Settings:       tenancy.Settings{MembersSeeAll: a.seeAll, DefaultCurrency: "USD", Timezone: "UTC"},
	}
}

// dealOwner is the owner_id of the deal the actor acts on.
func (a rulesActor) dealOwner() uuid.UUID {
	if a.ownsIt {
		return a.userID
	}
	return rulesDealOwn
}

// rulesActors is every role, owning and not owning the deal, with members_see_all on and off.
func rulesActors() []rulesActor {
	var out []rulesActor
	i := 0
	for _, r := range tenancy.Roles() {
		for _, owns := range []bool{true, false} {
			for _, seeAll := range []bool{true, false} {
				i++
				name := fmt.Sprintf("%s/owns=%t/members_see_all=%t", r, owns, seeAll)
				out = append(out, rulesActor{name: name, role: r, ownsIt: owns, seeAll: seeAll,
					userID: uuid.MustParse(fmt.Sprintf("0193a0c4-0000-7000-8000-%012x", 0x100+i))})
			}
		}
	}
	return out
}

// The expectations below are read from the policy table (tenancy.Can / Membership), never from a
// list of role names: the matrix follows the one policy of the product.

// visible: an invisible deal is answered like a missing one (members, members_see_all=false).
func (a rulesActor) visible() bool { return a.ownsIt || !a.membership().SeesOnlyOwn() }

// mayModify: anyone with ModifyAnyRecord, members their own deals.
func (a rulesActor) mayModify() bool {
	return a.visible() && (a.ownsIt || tenancy.Can(a.role, tenancy.ModifyAnyRecord))
}

func (a rulesActor) mayRollback() bool { return tenancy.Can(a.role, tenancy.RollbackDealStage) }

func (a rulesActor) mayAssignOwner() bool { return tenancy.Can(a.role, tenancy.AssignRecordOwner) }

// accessError is the error every patch of an actor that may not modify the deal gets.
func (a rulesActor) accessError(t *testing.T) (code string, kind apperr.Kind) {
	t.Helper()
	require.False(t, a.mayModify())
	if !a.visible() {
		return "not_found", apperr.KindNotFound
	}
	return "forbidden", apperr.KindForbidden
}

func rulesState() DealState {
	return DealState{
		Title: "Website redesign", Amount: money.MustParse("1500.00"), Currency: "USD",
		Status: "new", Stage: "qualification", ContactID: rulesContact, OwnerID: rulesDealOwn,
	}
}

func rulesAmount(s string) patch.Field[money.Amount] { return patch.Set(money.MustParse(s)) }

// requireAppErr asserts err is an *apperr.Error with code and kind (the kind decides the HTTP status).
func requireAppErr(t *testing.T, err error, code string, kind apperr.Kind) *apperr.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := apperr.As(err)
	require.True(t, ok, "not an apperr: %v", err)
	assert.Equal(t, code, e.Code)
	assert.Equal(t, kind, e.Kind)
	return e
}

// requireRefused asserts a refused patch: the error, the state unchanged, no event.
func requireRefused(t *testing.T, cur, next DealState, events []Event, err error, code string, kind apperr.Kind) *apperr.Error {
	t.Helper()
	e := requireAppErr(t, err, code, kind)
	assert.Equal(t, cur, next, "a refused patch changes nothing")
	assert.Empty(t, events, "a refused patch writes nothing")
	return e
}

// eventsJSON renders events as the timeline stores them (type + JSON payload), for exact comparison
// of payload shapes, including how uuids and amounts are encoded.
func eventsJSON(t *testing.T, events []Event) []string {
	t.Helper()
	out := make([]string, len(events))
	for i, ev := range events {
		b, err := json.Marshal(ev.Payload)
		require.NoError(t, err)
		out[i] = ev.Type + " " + string(b)
	}
	return out
}

// ---- the policy anchors the matrix reads ----

// TestApplyDealPatch_PolicyAnchors pins the three policy rows the deal rules read to DESIGN.md §5, so
// a matrix driven from the policy cannot silently follow a wrong policy.
func TestApplyDealPatch_PolicyAnchors(t *testing.T) {
	t.Parallel()
	want := map[tenancy.Role][3]bool{ // modify any, assign owner, roll back
		tenancy.RoleOwner:   {true, true, true},
		tenancy.RoleAdmin:   {true, true, true},
		tenancy.RoleManager: {true, true, false},
		tenancy.RoleMember:  {false, false, false},
	}
	for _, r := range tenancy.Roles() {
		got := [3]bool{tenancy.Can(r, tenancy.ModifyAnyRecord), tenancy.Can(r, tenancy.AssignRecordOwner), tenancy.Can(r, tenancy.RollbackDealStage)}
		assert.Equal(t, want[r], got, "role %s", r)
	}
	for _, a := range rulesActors() {
		wantInvisible := a.role == tenancy.RoleMember && !a.ownsIt && !a.seeAll
		assert.Equal(t, !wantInvisible, a.visible(), a.name)
	}
}

// ---- access: who may patch at all ----

func TestApplyDealPatch_AccessPerRoleOwnershipAndVisibility(t *testing.T) {
	t.Parallel()
	for _, a := range rulesActors() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			cur := rulesState()
			cur.OwnerID = a.dealOwner()
			next, events, err := ApplyDealPatch(a.membership(), cur, DealPatch{Title: patch.Set("New title")})
			if !a.mayModify() {
				code, kind := a.accessError(t)
				e := requireRefused(t, cur, next, events, err, code, kind)
				if code == "not_found" {
					assert.Same(t, apperr.ErrNotFound, e, "invisible is answered exactly like missing")
				}
				return
			}
			require.NoError(t, err)
			want := cur
			want.Title = "New title"
			assert.Equal(t, want, next)
			assert.Equal(t, []string{`deal_updated {"changes":{"title":{"old":"Website redesign","new":"New title"}}}`}, eventsJSON(t, events))
		})
	}
}

// An empty patch and a patch repeating the current values are allowed for whoever may modify the deal
// and change nothing; the access check still comes first.
func TestApplyDealPatch_NoOpPatchesWriteNothing(t *testing.T) {
	t.Parallel()
	for _, a := range rulesActors() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			cur := rulesState()
			cur.OwnerID = a.dealOwner()
			same := DealPatch{
				Title: patch.Set(cur.Title), Amount: rulesAmount("1500"), Currency: patch.Set(cur.Currency), Status: patch.Set(cur.Status),
				Stage: patch.Set(cur.Stage), ContactID: patch.Set(cur.ContactID), OwnerID: patch.Set(cur.OwnerID),
			}
			for name, p := range map[string]DealPatch{"empty": {}, "same values": same} {
				next, events, err := ApplyDealPatch(a.membership(), cur, p)
				if !a.mayModify() {
					code, kind := a.accessError(t)
					requireRefused(t, cur, next, events, err, code, kind)
					continue
				}
				require.NoError(t, err, name)
				assert.Equal(t, cur, next, name)
				assert.Empty(t, events, name)
			}
		})
	}
}

// ---- the stage matrix ----

func TestApplyDealPatch_StageMatrix(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"qualification", "proposal", "negotiation", "closed"}, stages)
	for _, a := range rulesActors() {
		for fi, from := range stages {
			for ti, to := range stages {
				t.Run(fmt.Sprintf("%s/%s->%s", a.name, from, to), func(t *testing.T) {
					t.Parallel()
					cur := rulesState()
					cur.OwnerID = a.dealOwner()
					cur.Stage = from
					next, events, err := ApplyDealPatch(a.membership(), cur, DealPatch{Stage: patch.Set(to)})
					switch {
					case !a.mayModify():
						code, kind := a.accessError(t)
						requireRefused(t, cur, next, events, err, code, kind)
					case ti == fi:
						require.NoError(t, err)
						assert.Equal(t, cur, next)
						assert.Empty(t, events, "the same stage is no change")
					case ti < fi && !a.mayRollback():
						requireRefused(t, cur, next, events, err, "stage_rollback_forbidden", apperr.KindForbidden)
					default: // forward (skips included) for everyone who may modify; back for owner/admin
						require.NoError(t, err)
						want := cur
						want.Stage = to
						assert.Equal(t, want, next)
						assert.Equal(t, []string{fmt.Sprintf(`stage_changed {"new_stage":%q,"old_stage":%q}`, to, from)}, eventsJSON(t, events))
					}
				})
			}
		}
	}
}

// A refused rollback discards the whole patch, including the fields that alone would be allowed.
func TestApplyDealPatch_RollbackRefusalDiscardsTheWholePatch(t *testing.T) {
	t.Parallel()
	for _, a := range rulesActors() {
		if !a.mayModify() || a.mayRollback() {
			continue
		}
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			cur := rulesState()
			cur.OwnerID = a.dealOwner()
			cur.Stage = "negotiation"
			next, events, err := ApplyDealPatch(a.membership(), cur, DealPatch{
				Title: patch.Set("Renamed"), Amount: rulesAmount("99.99"), Status: patch.Set("in_progress"), Stage: patch.Set("proposal"),
			})
			requireRefused(t, cur, next, events, err, "stage_rollback_forbidden", apperr.KindForbidden)
		})
	}
}

// ---- the won rule ----

func TestApplyDealPatch_WonNeedsAPositiveAmount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     string
		amount     string
		patch      DealPatch
		wantErr    bool
		wantStatus string
		wantAmount string
		wantEvents []string
	}{
		{name: "set won with amount 0", status: "in_progress", amount: "0", patch: DealPatch{Status: patch.Set("won")}, wantErr: true},
		{name: "set won on a new deal with amount 0", status: "new", amount: "0.00", patch: DealPatch{Status: patch.Set("won")}, wantErr: true},
		{name: "set amount 0 on a won deal", status: "won", amount: "1500.00", patch: DealPatch{Amount: rulesAmount("0")}, wantErr: true},
		{name: "set amount 0.00 on a won deal", status: "won", amount: "0.01", patch: DealPatch{Amount: rulesAmount("0.00")}, wantErr: true},
		{name: "set won and amount 0 at once", status: "in_progress", amount: "1500.00", patch: DealPatch{Status: patch.Set("won"), Amount: rulesAmount("0")}, wantErr: true},
		{name: "repeat won and set amount 0", status: "won", amount: "1500.00", patch: DealPatch{Status: patch.Set("won"), Amount: rulesAmount("0")}, wantErr: true},
		{
			name: "set won and a positive amount at once from 0", status: "in_progress", amount: "0",
			patch:      DealPatch{Status: patch.Set("won"), Amount: rulesAmount("2500.50")},
			wantStatus: "won", wantAmount: "2500.50",
			wantEvents: []string{
				`status_changed {"new_status":"won","old_status":"in_progress"}`,
				`deal_updated {"changes":{"amount":{"old":0.00,"new":2500.50}}}`,
			},
		},
		{
			name: "set won with the smallest positive amount", status: "new", amount: "0.01",
			patch: DealPatch{Status: patch.Set("won")}, wantStatus: "won", wantAmount: "0.01",
			wantEvents: []string{`status_changed {"new_status":"won","old_status":"new"}`},
		},
		{
			name: "lower a won deal's amount to a positive value", status: "won", amount: "1500.00",
			patch: DealPatch{Amount: rulesAmount("0.01")}, wantStatus: "won", wantAmount: "0.01",
			wantEvents: []string{`deal_updated {"changes":{"amount":{"old":1500.00,"new":0.01}}}`},
		},
		{
			name: "leave won and set amount 0 at once", status: "won", amount: "1500.00",
			patch: DealPatch{Status: patch.Set("lost"), Amount: rulesAmount("0")}, wantStatus: "lost", wantAmount: "0",
			wantEvents: []string{
				`status_changed {"new_status":"lost","old_status":"won"}`,
				`deal_updated {"changes":{"amount":{"old":1500.00,"new":0.00}}}`,
			},
		},
		{
			name: "amount 0 on a deal that is not won", status: "in_progress", amount: "10.00",
			patch: DealPatch{Amount: rulesAmount("0")}, wantStatus: "in_progress", wantAmount: "0",
			wantEvents: []string{`deal_updated {"changes":{"amount":{"old":10.00,"new":0.00}}}`},
		},
		{
			name: "a won deal changes its title only", status: "won", amount: "1500.00",
			patch: DealPatch{Title: patch.Set("Renamed")}, wantStatus: "won", wantAmount: "1500.00",
			wantEvents: []string{`deal_updated {"changes":{"title":{"old":"Website redesign","new":"Renamed"}}}`},
		},
	}
	for _, a := range rulesActors() {
		if !a.mayModify() {
			continue
		}
		for _, c := range cases {
			t.Run(a.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				cur := rulesState()
				cur.OwnerID = a.dealOwner()
				cur.Status, cur.Amount = c.status, money.MustParse(c.amount)
				next, events, err := ApplyDealPatch(a.membership(), cur, c.patch)
				if c.wantErr {
					requireRefused(t, cur, next, events, err, "won_requires_positive_amount", apperr.KindInvalid)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, c.wantStatus, next.Status)
				assert.True(t, money.MustParse(c.wantAmount).Equal(next.Amount.Decimal), "amount %s", next.Amount)
				assert.Equal(t, c.wantEvents, eventsJSON(t, events))
			})
		}
	}
}

// ---- amounts ----

func TestApplyDealPatch_AmountPrecision(t *testing.T) {
	t.Parallel()
	m := rulesActors()[0].membership() // the owner of the organization
	cur := rulesState()
	cur.Amount = money.MustParse("10.50")

	for _, s := range []string{"10.505", "0.001", "1500.999", "-0.001"} {
		next, events, err := ApplyDealPatch(m, cur, DealPatch{Amount: rulesAmount(s)})
		e := requireRefused(t, cur, next, events, err, "validation_failed", apperr.KindInvalid)
		require.Len(t, e.Fields, 1, s)
		assert.Equal(t, "amount", e.Fields[0].Field, s)
	}
	// Trailing zeros are not extra precision, and an equal value is no change.
	next, events, err := ApplyDealPatch(m, cur, DealPatch{Amount: rulesAmount("10.500")})
	require.NoError(t, err)
	assert.Equal(t, cur, next)
	assert.Empty(t, events)
	next, events, err = ApplyDealPatch(m, cur, DealPatch{Amount: rulesAmount("10.5")})
	require.NoError(t, err)
	assert.Empty(t, events)
	assert.Equal(t, cur, next)
	// The precision rule holds for every caller who may modify, before any other rule.
	for _, a := range rulesActors() {
		if !a.mayModify() {
			continue
		}
		c := cur
		c.OwnerID = a.dealOwner()
		c.Status = "won"
		next, events, err := ApplyDealPatch(a.membership(), c, DealPatch{Amount: rulesAmount("0.001")})
		requireRefused(t, c, next, events, err, "validation_failed", apperr.KindInvalid)
	}
}

// ---- owner_id ----

func TestApplyDealPatch_OwnerChangeIsForManagersAndAbove(t *testing.T) {
	t.Parallel()
	for _, a := range rulesActors() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			cur := rulesState()
			cur.OwnerID = a.dealOwner()
			target := rulesOther
			next, events, err := ApplyDealPatch(a.membership(), cur, DealPatch{OwnerID: patch.Set(target), Stage: patch.Set("proposal")})
			switch {
			case !a.mayModify():
				code, kind := a.accessError(t)
				requireRefused(t, cur, next, events, err, code, kind)
			case !a.mayAssignOwner():
				e := requireRefused(t, cur, next, events, err, "forbidden", apperr.KindForbidden)
				assert.NotSame(t, apperr.ErrNotFound, e)
			default:
				require.NoError(t, err)
				want := cur
				want.OwnerID, want.Stage = target, "proposal"
				assert.Equal(t, want, next)
				assert.Equal(t, []string{
					`stage_changed {"new_stage":"proposal","old_stage":"qualification"}`,
					fmt.Sprintf(`deal_updated {"changes":{"owner_id":{"old":%q,"new":%q}}}`, cur.OwnerID, target),
				}, eventsJSON(t, events))
			}
			// Naming the current owner is no change, and allowed to whoever may modify the deal.
			next, events, err = ApplyDealPatch(a.membership(), cur, DealPatch{OwnerID: patch.Set(cur.OwnerID)})
			if a.mayModify() {
				require.NoError(t, err)
				assert.Equal(t, cur, next)
				assert.Empty(t, events)
			} else {
				require.Error(t, err)
			}
		})
	}
}

// ---- events: order and payloads ----

func TestApplyDealPatch_EventsOrderAndPayloads(t *testing.T) {
	t.Parallel()
	owner := rulesActors()[0]
	require.Equal(t, tenancy.RoleOwner, owner.role)
	m := owner.membership()
	cur := rulesState()

	t.Run("every field at once", func(t *testing.T) {
		next, events, err := ApplyDealPatch(m, cur, DealPatch{
			Title: patch.Set("Bigger redesign"), Amount: rulesAmount("2000.10"), Currency: patch.Set("EUR"), Status: patch.Set("won"),
			Stage: patch.Set("closed"), ContactID: patch.Set(rulesContact2), OwnerID: patch.Set(rulesOther),
		})
		require.NoError(t, err)
		assert.Equal(t, DealState{Title: "Bigger redesign", Amount: money.MustParse("2000.10"), Currency: "EUR",
			Status: "won", Stage: "closed", ContactID: rulesContact2, OwnerID: rulesOther}, next)
		require.Len(t, events, 3)
		assert.Equal(t, []string{ActivityStatusChanged, ActivityStageChanged, ActivityDealUpdated},
			[]string{events[0].Type, events[1].Type, events[2].Type}, "status, then stage, then the rest")
		assert.Equal(t, map[string]any{"old_status": "new", "new_status": "won"}, events[0].Payload)
		assert.Equal(t, map[string]any{"old_stage": "qualification", "new_stage": "closed"}, events[1].Payload)
		var got map[string]map[string]map[string]any
		b, err := json.Marshal(events[2].Payload)
		require.NoError(t, err)
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		require.NoError(t, d.Decode(&got))
		assert.Equal(t, map[string]map[string]map[string]any{"changes": {
			"title":      {"old": "Website redesign", "new": "Bigger redesign"},
			"amount":     {"old": json.Number("1500.00"), "new": json.Number("2000.10")},
			"currency":   {"old": "USD", "new": "EUR"},
			"contact_id": {"old": rulesContact.String(), "new": rulesContact2.String()},
			"owner_id":   {"old": rulesDealOwn.String(), "new": rulesOther.String()},
		}}, got)
	})

	single := []struct {
		name  string
		patch DealPatch
		want  []string
	}{
		{"title", DealPatch{Title: patch.Set("T2")}, []string{`deal_updated {"changes":{"title":{"old":"Website redesign","new":"T2"}}}`}},
		{"amount", DealPatch{Amount: rulesAmount("1500.01")}, []string{`deal_updated {"changes":{"amount":{"old":1500.00,"new":1500.01}}}`}},
		{"amount without cents", DealPatch{Amount: rulesAmount("7")}, []string{`deal_updated {"changes":{"amount":{"old":1500.00,"new":7.00}}}`}},
		{"currency", DealPatch{Currency: patch.Set("GBP")}, []string{`deal_updated {"changes":{"currency":{"old":"USD","new":"GBP"}}}`}},
		{"contact_id", DealPatch{ContactID: patch.Set(rulesContact2)}, []string{fmt.Sprintf(`deal_updated {"changes":{"contact_id":{"old":%q,"new":%q}}}`, rulesContact, rulesContact2)}},
		{"owner_id", DealPatch{OwnerID: patch.Set(rulesOther)}, []string{fmt.Sprintf(`deal_updated {"changes":{"owner_id":{"old":%q,"new":%q}}}`, rulesDealOwn, rulesOther)}},
		{"status", DealPatch{Status: patch.Set("in_progress")}, []string{`status_changed {"new_status":"in_progress","old_status":"new"}`}},
		{"stage", DealPatch{Stage: patch.Set("negotiation")}, []string{`stage_changed {"new_stage":"negotiation","old_stage":"qualification"}`}},
		{"status and stage", DealPatch{Stage: patch.Set("closed"), Status: patch.Set("lost")}, []string{
			`status_changed {"new_status":"lost","old_status":"new"}`,
			`stage_changed {"new_stage":"closed","old_stage":"qualification"}`,
		}},
		{"changed and unchanged fields mixed", DealPatch{Title: patch.Set(cur.Title), Currency: patch.Set("EUR"), Status: patch.Set("new"), Stage: patch.Set("proposal"), ContactID: patch.Set(rulesContact)}, []string{
			`stage_changed {"new_stage":"proposal","old_stage":"qualification"}`,
			`deal_updated {"changes":{"currency":{"old":"USD","new":"EUR"}}}`,
		}},
		{"two plain fields share one deal_updated", DealPatch{Title: patch.Set("T3"), Currency: patch.Set("EUR")}, []string{
			`deal_updated {"changes":{"currency":{"old":"USD","new":"EUR"},"title":{"old":"Website redesign","new":"T3"}}}`,
		}},
	}
	for _, c := range single {
		t.Run(c.name, func(t *testing.T) {
			next, events, err := ApplyDealPatch(m, cur, c.patch)
			require.NoError(t, err)
			assert.Equal(t, c.want, eventsJSON(t, events))
			assert.NotEqual(t, cur, next)
		})
	}
}

// The caller's state is a value: applying a patch never alters it.
func TestApplyDealPatch_DoesNotAlterTheCurrentState(t *testing.T) {
	t.Parallel()
	cur := rulesState()
	before := cur
	_, _, err := ApplyDealPatch(rulesActors()[0].membership(), cur, DealPatch{Title: patch.Set("x"), Amount: rulesAmount("1"), Stage: patch.Set("closed")})
	require.NoError(t, err)
	assert.Equal(t, before, cur)
}

// Unknown roles may do nothing (the policy fails closed), even on their own deal.
func TestApplyDealPatch_UnknownRoleMayOnlyTouchOwnDealsWithoutPrivileges(t *testing.T) {
	t.Parallel()
	caller := uuid.MustParse("0193a0c4-0000-7000-8000-0000000000ff")
	m := tenancy.Membership{Principal: tenancy.Principal{UserID: caller}, OrganizationID: rulesOrg,
		Role: tenancy.Role("superuser"), Settings: tenancy.Settings{MembersSeeAll: true}}
	cur := rulesState()
	_, _, err := ApplyDealPatch(m, cur, DealPatch{Title: patch.Set("x")})
	requireAppErr(t, err, "forbidden", apperr.KindForbidden)
	cur.OwnerID = caller
	cur.Stage = "closed"
	_, _, err = ApplyDealPatch(m, cur, DealPatch{Stage: patch.Set("qualification")})
	requireAppErr(t, err, "stage_rollback_forbidden", apperr.KindForbidden)
	_, _, err = ApplyDealPatch(m, cur, DealPatch{OwnerID: patch.Set(rulesOther)})
	requireAppErr(t, err, "forbidden", apperr.KindForbidden)
}

func TestStageIndex(t *testing.T) {
	t.Parallel()
	for i, s := range stages {
		assert.Equal(t, i, StageIndex(s))
	}
	assert.Equal(t, -1, StageIndex("won"))
	assert.Equal(t, -1, StageIndex(""))
}
