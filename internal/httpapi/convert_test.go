package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The answer models' nullable fields are plain pointers (gen/api/overlay.yaml, issue 9): these
// pin the exact bytes written for them, a JSON null for a missing value and the value otherwise,
// as nullable.Nullable wrote them before.

var (
	convID     = uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-6f708192a3b4")
	convOwner  = uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-6f708192a3b5")
	convDeal   = uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-6f708192a3b6")
	convAuthor = uuid.MustParse("0193a0c4-7b1e-7c3a-9d51-6f708192a3b7")
	// convAt is 10:00 UTC written in a zone 2 hours ahead: the answers say it in UTC.
	convAt = time.Date(2026, 11, 25, 12, 0, 0, 0, time.FixedZone("EET", 2*60*60))
)

func convJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestToContactJSON(t *testing.T) {
	row := crm.Contact{ID: convID, OwnerID: convOwner, Name: "Charles Babbage", CreatedAt: convAt, UpdatedAt: convAt}
	assert.Equal(t, `{"company":null,"created_at":"2026-11-25T10:00:00Z","email":null,"id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4",`+
		`"name":"Charles Babbage","notes":null,"owner_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b5","phone":null,"updated_at":"2026-11-25T10:00:00Z"}`,
		convJSON(t, toContact(row)), "all optional fields null")

	email, phone, company, notes := "charles@example.com", "+44 20 7946 0000", "Difference Engines", `Met at the "Royal Society".`
	row.Email, row.Phone, row.Company, row.Notes = &email, &phone, &company, &notes
	assert.Equal(t, `{"company":"Difference Engines","created_at":"2026-11-25T10:00:00Z","email":"charles@example.com",`+
		`"id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4","name":"Charles Babbage","notes":"Met at the \"Royal Society\".",`+
		`"owner_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b5","phone":"+44 20 7946 0000","updated_at":"2026-11-25T10:00:00Z"}`,
		convJSON(t, toContact(row)), "all optional fields set")

	empty := ""
	row.Email, row.Phone, row.Company, row.Notes = &empty, nil, nil, nil
	assert.Contains(t, convJSON(t, toContact(row)), `"email":""`, "an empty string is a value, not null")
}

func TestToTaskJSON(t *testing.T) {
	row := crm.Task{ID: convID, DealID: convDeal, OwnerID: convOwner, Title: "Send the proposal", CreatedAt: convAt, UpdatedAt: convAt}
	assert.Equal(t, `{"completed_at":null,"created_at":"2026-11-25T10:00:00Z","deal_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b6",`+
		`"description":null,"due_date":null,"id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4","is_done":false,`+
		`"owner_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b5","title":"Send the proposal","updated_at":"2026-11-25T10:00:00Z"}`,
		convJSON(t, toTask(row)), "all optional fields null")

	desc, due, done := "Two pages", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), convAt.Add(time.Hour)
	row.Description, row.DueDate, row.CompletedAt, row.IsDone = &desc, &due, &done, true
	assert.Equal(t, `{"completed_at":"2026-11-25T11:00:00Z","created_at":"2026-11-25T10:00:00Z","deal_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b6",`+
		`"description":"Two pages","due_date":"2026-12-01","id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4","is_done":true,`+
		`"owner_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b5","title":"Send the proposal","updated_at":"2026-11-25T10:00:00Z"}`,
		convJSON(t, toTask(row)), "all optional fields set")
	assert.Equal(t, convAt.Add(time.Hour), done, "the stored completion time is not changed by the conversion")
}

func TestToActivityJSON(t *testing.T) {
	row := crm.Activity{ID: convID, DealID: convDeal, Type: "system", Payload: []byte(`{"amount":1200.50}`), CreatedAt: convAt}
	got, err := toActivity(row)
	require.NoError(t, err)
	assert.Equal(t, `{"author_id":null,"created_at":"2026-11-25T10:00:00Z","deal_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b6",`+
		`"id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4","payload":{"amount":1200.50},"type":"system"}`, convJSON(t, got), "system event")

	author := convAuthor
	row.AuthorID, row.Type, row.Payload = &author, "comment", []byte(`{"text":"Hi"}`)
	got, err = toActivity(row)
	require.NoError(t, err)
	assert.Equal(t, `{"author_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b7","created_at":"2026-11-25T10:00:00Z",`+
		`"deal_id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b6","id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4","payload":{"text":"Hi"},"type":"comment"}`,
		convJSON(t, got), "comment")
}

func TestToDealFunnelJSON(t *testing.T) {
	conv := decimal.RequireFromString("57.14")
	f := crm.Funnel{Stages: []crm.FunnelStage{
		{Stage: "qualification", Count: 2, Reached: 7},
		{Stage: "proposal", Count: 1, Reached: 4, ConversionFromPrevious: &conv},
	}}
	assert.Equal(t, `{"stages":[`+
		`{"by_status":{"in_progress":0,"lost":0,"new":0,"won":0},"conversion_from_previous":null,"count":2,"reached":7,"stage":"qualification"},`+
		`{"by_status":{"in_progress":0,"lost":0,"new":0,"won":0},"conversion_from_previous":57.14,"count":1,"reached":4,"stage":"proposal"}]}`,
		convJSON(t, toDealFunnel(f)))
}
