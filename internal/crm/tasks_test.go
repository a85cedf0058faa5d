package crm

import (
	"context"
	"testing"
	"time"
	_ "time/tzdata" // the zones below must resolve on machines without system zoneinfo too

	"github.com/minicrm/crm/internal/apperr"
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
	// Not parallel: TestTasks_CreateChecksTheDueDateOnTheServiceClock swaps the clock.
	assert.WithinDuration(t, time.Now(), tasksNow(), time.Minute)
}

func TestTasks_CreateChecksTheDueDateOnTheServiceClockInTheOrganizationsZone(t *testing.T) {
	// Not parallel: it swaps the package clock (parallel tests resume only after it finished).
	orig := tasksNow
	t.Cleanup(func() { tasksNow = orig })
	tasksNow = func() time.Time { return time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC) }
	s := &Service{} // the rule is decided before any query: no database is needed to refuse
	for _, tc := range []struct {
		tz  string
		due *time.Time
	}{
		{"Asia/Tokyo", taskDate(2026, 3, 10)},         // already 11 March there
		{"America/Los_Angeles", taskDate(2026, 3, 9)}, // 10 March there
		{"UTC", taskDate(2026, 3, 9)},
	} {
		for _, role := range tenancy.Roles {
			m := tenancy.Membership{Role: role, Settings: tenancy.Settings{MembersSeeAll: true, Timezone: tc.tz}}
			_, err := s.CreateTask(context.Background(), m, NewTask{Title: "Late", DueDate: tc.due})
			assert.True(t, apperr.HasCode(err, "due_date_in_past"), "%s as %s: %v", tc.tz, role, err)
		}
	}
}
