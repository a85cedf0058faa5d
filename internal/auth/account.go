package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/tenancy"
)

// Account security: the caller's name and password, and their sessions.

// MaxListedSessions bounds the sessions GET /auth/sessions answers (the most recently used).
const MaxListedSessions = 100

// MaxUserAgentLength is how many characters of a client's User-Agent a session keeps.
const MaxUserAgentLength = 256

// Why a session was revoked (sessions.revoke_reason).
const (
	revokedPasswordChanged = "password_changed"
	revokedByUser          = "revoked_by_user"
	revokedLogoutAll       = "logout_all"
)

var errWrongCurrentPassword = apperr.Forbidden("invalid_credentials", "The current password is wrong.")

// Session is one active session as its user sees it.
type Session struct {
	db.ListActiveSessionsRow
	// Current is whether it is the session of the request.
	Current bool
}

// UserAgent is what a session keeps of a User-Agent header: valid UTF-8 without control
// characters, trimmed, at most MaxUserAgentLength characters; nil for none.
func UserAgent(header string) *string {
	header = strings.ToValidUTF8(header, "\uFFFD")
	header = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, header)
	header = strings.TrimSpace(header)
	if utf8.RuneCountInString(header) > MaxUserAgentLength {
		header = strings.TrimSpace(string([]rune(header)[:MaxUserAgentLength]))
	}
	if header == "" {
		return nil
	}
	return &header
}

// UpdateName renames the caller and answers as Me does. The name is trimmed; a blank one is a
// validation error.
func (s *Service) UpdateName(ctx context.Context, p tenancy.Principal, name string) (User, []Membership, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return User{}, nil, apperr.Validation("name", "must not be blank")
	}
	if _, err := s.q.UpdateUserName(ctx, db.UpdateUserNameParams{ID: p.UserID, Name: name}); errors.Is(err, pgx.ErrNoRows) {
		return User{}, nil, apperr.ErrUnauthorized
	} else if err != nil {
		return User{}, nil, fmt.Errorf("rename user: %w", err)
	}
	return s.Me(ctx, p)
}

// ChangePassword replaces the caller's password after checking the current one, and ends every
// other session of the caller; the principal's own stays.
//
// The check of the current password is a login in all but name, and is treated as one: it goes
// through the same bounded Hasher (refused at once, 503, when the queue is full), and it is
// throttled by the same counters as Login, for the caller's email from clientAddr — a wrong
// current password is a counted failure, a lock refuses even the right one, and a success clears
// the pair's count. So a stolen access token buys no more guesses than the login form does, and
// guesses spread over both endpoints share one budget. The refusal is 403 invalid_credentials: the
// token itself is fine.
func (s *Service) ChangePassword(ctx context.Context, p tenancy.Principal, current, next, clientAddr string) error {
	if s.hasher.Saturated() {
		return ErrHashQueueFull // two hashes ahead: refuse before any query
	}
	row, err := s.q.GetUserPasswordHash(ctx, p.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.ErrUnauthorized
	}
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	email, address := NormalizeEmail(row.Email), AddressKey(clientAddr)
	counted, err := s.checkThrottle(ctx, email, address)
	if err != nil {
		return err
	}
	ok, err := s.hasher.Check(ctx, current, row.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.recordFailure(ctx, email, address); err != nil {
			return err
		}
		return errWrongCurrentPassword
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(q *db.Queries) error {
		// The session must still be alive when the change is made: one ended while the passwords
		// were hashed (a logout-all from another device, say) must not change the password after
		// all. The row lock orders this change and any revocation of the session.
		sess, err := q.GetSessionForUpdate(ctx, p.SessionID)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.ErrUnauthorized
		}
		if err != nil {
			return fmt.Errorf("load session: %w", err)
		}
		if sess.UserID != p.UserID || sess.RevokedAt != nil || !sess.ExpiresAt.After(s.tokens.now()) {
			return apperr.ErrUnauthorized
		}
		n, err := q.UpdateUserPassword(ctx, db.UpdateUserPasswordParams{ID: p.UserID, PasswordHash: hash})
		if err != nil {
			return fmt.Errorf("store the new password: %w", err)
		}
		if n == 0 {
			return apperr.ErrUnauthorized
		}
		if _, err := q.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{
			UserID: p.UserID, KeepID: p.SessionID, Reason: revokedPasswordChanged,
		}); err != nil {
			return fmt.Errorf("end the other sessions: %w", err)
		}
		if counted {
			if err := q.ClearLoginFailures(ctx, db.ClearLoginFailuresParams{Email: email, Address: address}); err != nil {
				return fmt.Errorf("clear login failures: %w", err)
			}
		}
		return nil
	})
}

// Sessions lists the caller's active sessions, most recently used first (at most
// MaxListedSessions), marking the principal's own.
func (s *Service) Sessions(ctx context.Context, p tenancy.Principal) ([]Session, error) {
	rows, err := s.q.ListActiveSessions(ctx, db.ListActiveSessionsParams{UserID: p.UserID, MaxSessions: MaxListedSessions})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = Session{ListActiveSessionsRow: r, Current: r.ID == p.SessionID}
	}
	return out, nil
}

// RevokeSession ends one active session of the caller (their current one included). Another
// user's session, an ended or expired one and an unknown id are the same apperr.ErrNotFound.
// The per-request session check refuses the session's tokens from then on; the verified-token
// cache only spares the signature check, never that one.
func (s *Service) RevokeSession(ctx context.Context, p tenancy.Principal, sessionID uuid.UUID) error {
	n, err := s.q.RevokeUserSession(ctx, db.RevokeUserSessionParams{ID: sessionID, UserID: p.UserID, Reason: revokedByUser})
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if n == 0 {
		return apperr.ErrNotFound
	}
	return nil
}

// LogoutAll ends every session of the caller, the principal's own included.
func (s *Service) LogoutAll(ctx context.Context, p tenancy.Principal) error {
	if _, err := s.q.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{
		UserID: p.UserID, KeepID: uuid.Nil, Reason: revokedLogoutAll,
	}); err != nil {
		return fmt.Errorf("end the sessions: %w", err)
	}
	return nil
}
