package crm

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below must resolve on machines without system zoneinfo too

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func taskDate(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestTasks_DueDateRuleFollowsTheOrganizationsTimeZone(t *testing.T) {
	t.Parallel()
	lateUTC := time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC) // already 11 March in Tokyo
	earlyUTC := time.Date(2026, 3, 10, 0, 30, 0, 0, time.UTC) // still 9 March in Los Angeles
	tests := []struct {
		name   string
		tz     string
		at     time.Time
		due    *time.Time
		inPast bool
	}{
		{"no due date", "UTC", lateUTC, nil, false},
		{"today in UTC", "UTC", lateUTC, taskDate(2026, 3, 10), false},
		{"yesterday in UTC", "UTC", lateUTC, taskDate(2026, 3, 9), true},
		{"tomorrow in UTC", "UTC", lateUTC, taskDate(2026, 3, 11), false},
		{"far future", "UTC", lateUTC, taskDate(2030, 1, 1), false},
		{"far past", "UTC", lateUTC, taskDate(1999, 12, 31), true},

		{"UTC today is already past in Tokyo at 23:30 UTC", "Asia/Tokyo", lateUTC, taskDate(2026, 3, 10), true},
		{"Tokyo's today at 23:30 UTC", "Asia/Tokyo", lateUTC, taskDate(2026, 3, 11), false},
		{"UTC today is fine in Tokyo at 00:30 UTC", "Asia/Tokyo", earlyUTC, taskDate(2026, 3, 10), false},

		{"UTC yesterday is still today in Los Angeles at 00:30 UTC", "America/Los_Angeles", earlyUTC, taskDate(2026, 3, 9), false},
		{"the day before Los Angeles' today", "America/Los_Angeles", earlyUTC, taskDate(2026, 3, 8), true},
		{"UTC today in Los Angeles at 23:30 UTC", "America/Los_Angeles", lateUTC, taskDate(2026, 3, 10), false},
		{"UTC yesterday in Los Angeles at 23:30 UTC", "America/Los_Angeles", lateUTC, taskDate(2026, 3, 9), true},

		// The extremes: UTC+14 and UTC-11 are a whole day apart (and more) for most of the day.
		{"Kiritimati's today", "Pacific/Kiritimati", earlyUTC, taskDate(2026, 3, 10), false},
		{"Kiritimati at 10:30 UTC is a day ahead", "Pacific/Kiritimati", time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC), taskDate(2026, 3, 10), true},
		{"Kiritimati's today at 10:30 UTC", "Pacific/Kiritimati", time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC), taskDate(2026, 3, 11), false},
		{"Pago Pago at 10:30 UTC is a day behind", "Pacific/Pago_Pago", time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC), taskDate(2026, 3, 9), false},
		{"before Pago Pago's today", "Pacific/Pago_Pago", time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC), taskDate(2026, 3, 8), true},

		// The instant may come in any location: only the organization's zone counts.
		{"instant given in another zone", "UTC", lateUTC.In(time.FixedZone("X", 5*3600)), taskDate(2026, 3, 10), false},
		{"unknown zone counts as UTC", "Mars/Olympus_Mons", lateUTC, taskDate(2026, 3, 10), false},
		{"unknown zone counts as UTC (past)", "Mars/Olympus_Mons", lateUTC, taskDate(2026, 3, 9), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkTaskDueDate(tc.due, tc.tz, tc.at)
			if !tc.inPast {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			e, ok := apperr.As(err)
			require.True(t, ok)
			assert.Equal(t, apperr.KindInvalid, e.Kind)
			assert.Equal(t, "due_date_in_past", e.Code)
		})
	}
}

func TestTasks_OrgTodayIsTheCalendarDateInTheZone(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC)
	assert.Equal(t, *taskDate(2026, 12, 31), orgToday("UTC", at))
	assert.Equal(t, *taskDate(2027, 1, 1), orgToday("Asia/Tokyo", at), "the new year starts early in Tokyo")
	assert.Equal(t, *taskDate(2026, 12, 31), orgToday("America/Los_Angeles", at))
	assert.Equal(t, time.UTC, orgToday("Asia/Tokyo", at).Location())
}

func TestTasks_DueDateIsComparedAsACalendarDate(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	// A due date carrying a time of day (or a zone) still means its calendar day.
	late := time.Date(2026, 3, 10, 23, 59, 0, 0, time.UTC)
	assert.NoError(t, checkTaskDueDate(&late, "UTC", at))
	early := time.Date(2026, 3, 10, 0, 0, 1, 0, time.FixedZone("Y", -10*3600))
	assert.NoError(t, checkTaskDueDate(&early, "UTC", at))
	prev := time.Date(2026, 3, 9, 23, 59, 59, 0, time.FixedZone("Z", 12*3600))
	assert.Error(t, checkTaskDueDate(&prev, "UTC", at))
	assert.Equal(t, *taskDate(2026, 3, 9), *dateOrNil(&prev))
	assert.Nil(t, dateOrNil(nil))
}

func TestTasks_ClockIsTheWallClockByDefault(t *testing.T) {
	t.Parallel()
	s := NewService(platform.NewDB(nil))
	assert.WithinDuration(t, time.Now(), s.Now(), time.Minute)
}

func TestTasks_CreateChecksTheDueDateOnTheServiceClockInTheOrganizationsZone(t *testing.T) {
	t.Parallel()
	// The rule is decided before any query: no database is needed to refuse.
	s := &Service{Now: func() time.Time { return time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC) }}
	for _, tc := range []struct {
		tz  string
		due *time.Time
	}{
		{"Asia/Tokyo", taskDate(2026, 3, 10)},         // already 11 March there
		{"America/Los_Angeles", taskDate(2026, 3, 9)}, // 10 March there
		{"UTC", taskDate(2026, 3, 9)},
	} {
		for _, role := range tenancy.Roles() {
			m := tenancy.Membership{Role: role, Settings: tenancy.Settings{MembersSeeAll: true, Timezone: tc.tz}}
			_, err := s.CreateTask(t.Context(), m, NewTask{Title: "Late", DueDate: tc.due})
			assert.True(t, apperr.HasCode(err, "due_date_in_past"), "%s as %s: %v", tc.tz, role, err)
		}
	}
}

func TestTasks_ApplyTaskPatch(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	as := func(role tenancy.Role) tenancy.Membership {
		return tenancy.Membership{Principal: tenancy.Principal{UserID: me}, Role: role,
			Settings: tenancy.Settings{MembersSeeAll: true, Timezone: "UTC"}}
	}
	desc := "call back"
	cur := taskState{Title: "Call", Description: &desc, DueDate: taskDate(2026, 3, 1), OwnerID: me}

	t.Run("nothing given or the same values change nothing", func(t *testing.T) {
		t.Parallel()
		for _, p := range []TaskPatch{{}, {
			Title: patch.Set("Call"), Description: patch.Set("call back"), DueDate: patch.Set(*taskDate(2026, 3, 1)),
			IsDone: patch.Set(false), OwnerID: patch.Set(me),
		}} {
			next, completed, err := applyTaskPatch(as(tenancy.RoleMember), cur, p, at)
			require.NoError(t, err)
			assert.False(t, completed)
			assert.True(t, next.equal(cur), "%+v", next)
		}
	})
	t.Run("an unchanged due date in the past stays; a changed one must not be", func(t *testing.T) {
		t.Parallel()
		_, _, err := applyTaskPatch(as(tenancy.RoleOwner), cur, TaskPatch{DueDate: patch.Set(*taskDate(2026, 3, 2))}, at)
		assert.True(t, apperr.HasCode(err, "due_date_in_past"), "%v", err)
		next, _, err := applyTaskPatch(as(tenancy.RoleOwner), cur, TaskPatch{DueDate: patch.Set(*taskDate(2026, 3, 10))}, at)
		require.NoError(t, err)
		assert.Equal(t, taskDate(2026, 3, 10), next.DueDate)
	})
	t.Run("null clears description and due date", func(t *testing.T) {
		t.Parallel()
		next, _, err := applyTaskPatch(as(tenancy.RoleMember), cur, TaskPatch{Description: patch.Null[string](), DueDate: patch.Null[time.Time]()}, at)
		require.NoError(t, err)
		assert.Nil(t, next.Description)
		assert.Nil(t, next.DueDate)
		assert.False(t, next.equal(cur))
	})
	t.Run("completing stamps completed_at, reopening clears it", func(t *testing.T) {
		t.Parallel()
		done, completed, err := applyTaskPatch(as(tenancy.RoleMember), cur, TaskPatch{IsDone: patch.Set(true)}, at)
		require.NoError(t, err)
		assert.True(t, completed)
		require.NotNil(t, done.CompletedAt)
		assert.Equal(t, at, *done.CompletedAt)
		reopened, completed, err := applyTaskPatch(as(tenancy.RoleMember), done, TaskPatch{IsDone: patch.Set(false)}, at)
		require.NoError(t, err)
		assert.False(t, completed)
		assert.Nil(t, reopened.CompletedAt)
	})
	t.Run("members change only their own tasks and never the owner", func(t *testing.T) {
		t.Parallel()
		theirs := cur
		theirs.OwnerID = other
		_, _, err := applyTaskPatch(as(tenancy.RoleMember), theirs, TaskPatch{Title: patch.Set("x")}, at)
		assert.True(t, apperr.HasCode(err, "forbidden"), "%v", err)
		_, _, err = applyTaskPatch(as(tenancy.RoleMember), cur, TaskPatch{OwnerID: patch.Set(other)}, at)
		assert.True(t, apperr.HasCode(err, "forbidden"), "%v", err)
		next, _, err := applyTaskPatch(as(tenancy.RoleManager), theirs, TaskPatch{OwnerID: patch.Set(me)}, at)
		require.NoError(t, err)
		assert.Equal(t, me, next.OwnerID)
	})
}
