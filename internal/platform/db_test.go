package platform

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTranslate_NamesWhatAClientMayBeToldAndKeepsTheCause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		kind apperr.Kind
		code string
	}{
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, apperr.KindUnavailable, "service_unavailable"},
		{"too many connections", fmt.Errorf("query: %w", &pgconn.PgError{Code: "53300"}), apperr.KindUnavailable, "service_unavailable"},
		{"closed pool", puddle.ErrClosedPool, apperr.KindUnavailable, "service_unavailable"},
		{"numeric overflow", &pgconn.PgError{Code: "22003"}, apperr.KindInvalid, "invalid_value"},
		{"invalid text", &pgconn.PgError{Code: "22P02"}, apperr.KindInvalid, "invalid_value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := translate(tc.err)
			ae, ok := apperr.As(got)
			require.True(t, ok, "%v", got)
			assert.Equal(t, tc.kind, ae.Kind)
			assert.Equal(t, tc.code, ae.Code)
			assert.ErrorIs(t, got, tc.err, "the cause stays in the chain")
		})
	}
}

func TestTranslate_LeavesTheRestToTheDomain(t *testing.T) {
	t.Parallel()
	assert.NoError(t, translate(nil))
	assert.Same(t, pgx.ErrNoRows, translate(pgx.ErrNoRows))
	unique := &pgconn.PgError{Code: "23505", ConstraintName: "contacts_org_email_key"}
	assert.True(t, IsUniqueViolation(translate(unique), "contacts_org_email_key"))
	fk := &pgconn.PgError{Code: "23503", ConstraintName: "deals_contact_fkey"}
	assert.True(t, IsForeignKeyViolation(translate(fk), "deals_contact_fkey"))
	other := errors.New("boom")
	assert.Same(t, other, translate(other))
	ae := apperr.Conflict("x", "y")
	assert.Same(t, error(ae), translate(ae))
	_, isApp := apperr.As(translate(unique))
	assert.False(t, isApp)
}
