package crm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// neutralise and restore are inverse: every value comes back as it was, and no cell neutralise
// writes begins with a formula character.
func TestCSV_NeutraliseAndRestoreAreInverse(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"=1+2", "'=1+2"}, {"+44 20", "'+44 20"}, {"-1", "'-1"}, {"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"'=x", "''=x"}, {"'''+x", "''''+x"},
		{"plain", "plain"}, {"'quote", "'quote"}, {"'''", "'''"}, {"", ""}, {"a=b", "a=b"}, {"'", "'"},
	} {
		got := neutralise(tc.in)
		assert.Equal(t, tc.out, got, "%q", tc.in)
		assert.Equal(t, tc.in, restore(got), "%q", tc.in)
		assert.False(t, strings.ContainsAny(got[:min(1, len(got))], "=+-@\t\r"), "%q", got)
	}
	assert.Equal(t, "'quote", restore("'quote"), "a ' before anything else is the value's own")
}

// A cell's value: trimmed (notes aside), empty for absent, and checked against ContactCreate's
// rules.
func TestCSV_ImportValue(t *testing.T) {
	for _, tc := range []struct {
		col       int
		cell, val string
		bad       bool
	}{
		{colName, "  Ada  ", "Ada", false},
		{colName, "   ", "", true},
		{colName, "'=Ada", "=Ada", false},
		{colEmail, "", "", false},
		{colEmail, " a@example.com ", "a@example.com", false},
		{colEmail, "Ada <a@example.com>", "", true},
		{colEmail, "a@localhost", "", true},
		{colPhone, "'+1 555", "+1 555", false},
		{colNotes, "  kept  ", "  kept  ", false},
		{colCompany, strings.Repeat("é", 200), strings.Repeat("é", 200), false},
		{colCompany, strings.Repeat("é", 201), "", true},
		{colName, "nul\x00", "", true},
		{colName, "\xff", "", true},
	} {
		v, msg := importValue(tc.col, tc.cell)
		assert.Equal(t, tc.bad, msg != "", "%q: %s", tc.cell, msg)
		assert.Equal(t, tc.val, v, "%q", tc.cell)
	}
}
