package webhooks

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChanged_HoldsTheOldValuesOfTheChangedMembersOnly(t *testing.T) {
	t.Parallel()
	type deal struct {
		Stage     string   `json:"stage"`
		Amount    float64  `json:"amount"`
		Notes     *string  `json:"notes"`
		Tags      []string `json:"tags"`
		UpdatedAt string   `json:"updated_at"`
	}
	note := "x"
	before := deal{Stage: "qualification", Amount: 10, Notes: &note, Tags: []string{"a"}, UpdatedAt: "t1"}
	after, err := json.Marshal(deal{Stage: "proposal", Amount: 10, Notes: nil, Tags: []string{"a"}, UpdatedAt: "t2"})
	require.NoError(t, err)
	got, err := changed(before, after)
	require.NoError(t, err)
	assert.Equal(t, map[string]json.RawMessage{
		"stage": json.RawMessage(`"qualification"`), "notes": json.RawMessage(`"x"`), "updated_at": json.RawMessage(`"t1"`),
	}, got)

	same, err := json.Marshal(before)
	require.NoError(t, err)
	got, err = changed(before, same)
	require.NoError(t, err)
	assert.Empty(t, got, "no change, no previous")
}
