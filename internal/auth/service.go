// Package auth owns identities and sessions: argon2id passwords, JWT access and refresh tokens
// (jwx v3), and refresh-token rotation with reuse detection.
package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/orgs"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
)

var (
	errEmailTaken         = apperr.Conflict("email_taken", "A user with this email is already registered.")
	errInvalidCredentials = apperr.Unauthorized("invalid_credentials", "The email or password is wrong.")
	errInvalidRefresh     = apperr.Unauthorized("unauthorized", "The refresh token is invalid, expired or revoked.")
)

// Service registers users and runs their sessions.
type Service struct {
	store  *platform.DB
	q      *db.Queries
	tokens *Tokens
	hasher *Hasher
	// maxFailuresPerAddress bounds failed logins per client address across all accounts.
	maxFailuresPerAddress int
	// reuseLeeway is how long the refresh token rotated last may be presented again for a fresh
	// pair of the same session (a client's own race) before that counts as a reuse; 0: never.
	reuseLeeway  time.Duration
	cleanUpBatch int
}

// DefaultRefreshReuseLeeway is REFRESH_REUSE_LEEWAY_SECONDS' default.
const DefaultRefreshReuseLeeway = 10 * time.Second

// Option tunes a Service.
type Option func(*Service)

// WithMaxFailuresPerAddress sets the per-address bound on failed logins in ThrottleWindow
// (default DefaultMaxFailuresPerAddress; values below 1 keep the default).
func WithMaxFailuresPerAddress(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.maxFailuresPerAddress = n
		}
	}
}

// WithRefreshReuseLeeway sets the refresh reuse leeway (default DefaultRefreshReuseLeeway; zero or
// less disables it: every second presentation of a refresh token revokes its session).
func WithRefreshReuseLeeway(d time.Duration) Option {
	return func(s *Service) { s.reuseLeeway = max(d, 0) }
}

// WithHasher replaces the process's shared password Hasher.
func WithHasher(h *Hasher) Option { return func(s *Service) { s.hasher = h } }

// WithPasswordHashQueue gives the Service its own Hasher of DefaultHashSlots slots and at most n
// waiters (PASSWORD_HASH_QUEUE_SIZE); n <= 0 keeps the shared one (DefaultHashQueue waiters).
func WithPasswordHashQueue(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.hasher = NewHasher(DefaultHashSlots(), n)
		}
	}
}

// NewService returns a Service.
func NewService(store *platform.DB, tokens *Tokens, opts ...Option) *Service {
	s := &Service{
		store: store, q: store.Queries(), tokens: tokens, hasher: defaultHasher,
		maxFailuresPerAddress: DefaultMaxFailuresPerAddress, reuseLeeway: DefaultRefreshReuseLeeway,
		cleanUpBatch: DefaultCleanUpBatch,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Tokens returns the token issuer/verifier.
func (s *Service) Tokens() *Tokens { return s.tokens }

// User is a user as shown to clients (never with the password hash).
type User = db.GetUserRow

// Membership is one organization the user belongs to, with their role in it.
type Membership = db.ListUserMembershipsRow

// Pair is a freshly issued access and refresh token.
type Pair struct {
	Access  string
	Refresh string
}

// NormalizeEmail is the one canonical form of an email: trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Register creates the user, their first organization (they own it) and a session, atomically.
// userAgent is the client's User-Agent header, kept with the session (see UserAgent).
func (s *Service) Register(ctx context.Context, email, password, name, orgName, userAgent string) (User, orgs.Organization, Pair, error) {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, orgs.Organization{}, Pair{}, err
	}
	userID, err := uuid.NewV7()
	if err != nil {
		return User{}, orgs.Organization{}, Pair{}, err
	}
	var (
		user User
		org  orgs.Organization
		pair Pair
	)
	err = s.store.InTx(ctx, func(q *db.Queries) error {
		row, err := q.CreateUser(ctx, db.CreateUserParams{
			ID: userID, Email: NormalizeEmail(email), PasswordHash: hash, Name: strings.TrimSpace(name),
		})
		if platform.IsUniqueViolation(err, "users_email_key") {
			return errEmailTaken
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		user = User(row)
		if org, err = orgs.CreateWithOwner(ctx, q, strings.TrimSpace(orgName), user.ID); err != nil {
			return err
		}
		pair, err = s.startSession(ctx, q, user.ID, userAgent)
		return err
	})
	return user, org, pair, err
}

// Login checks the credentials and starts a session. Unknown email and wrong password are the same
// error, and cost the same password check. clientAddr is the caller's address (see AddressKey):
// failures are counted, and locked, per (email, address) and per address. userAgent is kept with
// the session.
func (s *Service) Login(ctx context.Context, email, password, clientAddr, userAgent string) (User, Pair, error) {
	if s.hasher.Saturated() {
		return User{}, Pair{}, ErrHashQueueFull // every login needs a hash: refuse before any query
	}
	email = NormalizeEmail(email)
	address := AddressKey(clientAddr)
	counted, err := s.checkThrottle(ctx, email, address)
	if err != nil {
		return User{}, Pair{}, err
	}
	row, err := s.q.GetUserByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		if err := s.hasher.Burn(ctx, password); err != nil {
			return User{}, Pair{}, err
		}
		return User{}, Pair{}, s.failLogin(ctx, email, address)
	}
	if err != nil {
		return User{}, Pair{}, fmt.Errorf("find user: %w", err)
	}
	ok, err := s.hasher.Check(ctx, password, row.PasswordHash)
	if err != nil {
		return User{}, Pair{}, err
	}
	if !ok {
		return User{}, Pair{}, s.failLogin(ctx, email, address)
	}
	if counted { // most logins have no counter: no DELETE round trip for them
		if err := s.q.ClearLoginFailures(ctx, db.ClearLoginFailuresParams{Email: email, Address: address}); err != nil {
			return User{}, Pair{}, fmt.Errorf("clear login failures: %w", err)
		}
	}
	pair, err := s.startSession(ctx, s.q, row.ID, userAgent)
	if err != nil {
		return User{}, Pair{}, err
	}
	return User{ID: row.ID, Email: row.Email, Name: row.Name, CreatedAt: row.CreatedAt}, pair, nil
}

// failLogin counts the failure and answers invalid_credentials.
func (s *Service) failLogin(ctx context.Context, email, address string) error {
	if err := s.recordFailure(ctx, email, address); err != nil {
		return err
	}
	return errInvalidCredentials
}

// Refresh exchanges a refresh token for a new pair. The presented token stops working; presenting
// one that was already exchanged revokes the session, and with it every token it issued — except
// the token rotated last, presented again within the reuse leeway: that is the client's own race
// (two tabs, a retried request), and it gets a fresh pair of the same session whose refresh token
// is the one the rotation issued (see NextRefreshJTI), so every racer ends up holding the session's
// current refresh token. A rotation records the session's use (last_used_at) and userAgent.
func (s *Service) Refresh(ctx context.Context, refreshToken, userAgent string) (Pair, error) {
	claims, err := s.tokens.Verify(KindRefresh, refreshToken)
	if err != nil {
		return Pair{}, errInvalidRefresh
	}
	var (
		pair  Pair
		reuse bool
	)
	err = s.store.InTx(ctx, func(q *db.Queries) error {
		// The row lock serialises concurrent refreshes of one session.
		sess, err := q.GetSessionForUpdate(ctx, claims.SessionID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errInvalidRefresh
		}
		if err != nil {
			return fmt.Errorf("load session: %w", err)
		}
		now := s.tokens.now()
		if sess.UserID != claims.UserID || sess.RevokedAt != nil || !sess.ExpiresAt.After(now) {
			return errInvalidRefresh
		}
		next := NextRefreshJTI(sess.ID, claims.ID)
		switch {
		case subtle.ConstantTimeCompare(sess.RefreshJtiHash, HashJTI(claims.ID)) == 1:
			pair, err = s.rotate(ctx, q, sess.UserID, sess.ID, next, now, userAgent)
			return err
		case s.reuseLeeway > 0 && now.Sub(sess.RotatedAt) <= s.reuseLeeway &&
			subtle.ConstantTimeCompare(sess.RefreshJtiHash, HashJTI(next)) == 1:
			// The token rotated last, again, within the leeway: the same rotation's refresh token
			// (same jti) and a new access token. The session row is left as it is.
			pair, _, err = s.issuePair(sess.UserID, sess.ID, next)
			return err
		}
		reuse = true
		if err := q.RevokeSession(ctx, db.RevokeSessionParams{ID: sess.ID, Reason: "refresh_token_reuse"}); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		return nil // commit the revocation, then answer 401
	})
	if err != nil {
		return Pair{}, err
	}
	if reuse {
		return Pair{}, errInvalidRefresh
	}
	return pair, nil
}

// Logout ends the session the refresh token belongs to. Any refresh token of the session that
// still verifies ends it, an already-ended session included.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	claims, err := s.tokens.Verify(KindRefresh, refreshToken)
	if err != nil {
		return errInvalidRefresh
	}
	return s.q.RevokeSession(ctx, db.RevokeSessionParams{ID: claims.SessionID, Reason: "logout"})
}

// Me returns the caller and their memberships.
func (s *Service) Me(ctx context.Context, p tenancy.Principal) (User, []Membership, error) {
	user, err := s.q.GetUser(ctx, p.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, nil, apperr.ErrUnauthorized
	}
	if err != nil {
		return User{}, nil, fmt.Errorf("load user: %w", err)
	}
	ms, err := s.q.ListUserMemberships(ctx, p.UserID)
	if err != nil {
		return User{}, nil, fmt.Errorf("list memberships: %w", err)
	}
	return user, ms, nil
}

func (s *Service) startSession(ctx context.Context, q *db.Queries, userID uuid.UUID, userAgent string) (Pair, error) {
	sid, err := uuid.NewV7()
	if err != nil {
		return Pair{}, err
	}
	jti, err := uuid.NewV7()
	if err != nil {
		return Pair{}, err
	}
	pair, refresh, err := s.issuePair(userID, sid, jti.String())
	if err != nil {
		return Pair{}, err
	}
	if err := q.CreateSession(ctx, db.CreateSessionParams{
		ID: sid, UserID: userID, RefreshJtiHash: HashJTI(refresh.ID), ExpiresAt: refresh.ExpiresAt,
		UserAgent: UserAgent(userAgent),
	}); err != nil {
		return Pair{}, fmt.Errorf("create session: %w", err)
	}
	return pair, nil
}

func (s *Service) rotate(ctx context.Context, q *db.Queries, userID, sid uuid.UUID, jti string, now time.Time, userAgent string) (Pair, error) {
	pair, refresh, err := s.issuePair(userID, sid, jti)
	if err != nil {
		return Pair{}, err
	}
	if err := q.RotateSession(ctx, db.RotateSessionParams{
		ID: sid, RefreshJtiHash: HashJTI(refresh.ID), RotatedAt: now, UserAgent: UserAgent(userAgent),
	}); err != nil {
		return Pair{}, fmt.Errorf("rotate session: %w", err)
	}
	return pair, nil
}

// issuePair signs a new access token and a refresh token with the given jti.
func (s *Service) issuePair(userID, sid uuid.UUID, refreshJTI string) (Pair, Claims, error) {
	access, _, err := s.tokens.Issue(KindAccess, userID, sid)
	if err != nil {
		return Pair{}, Claims{}, err
	}
	refresh, rc, err := s.tokens.issue(KindRefresh, userID, sid, refreshJTI)
	if err != nil {
		return Pair{}, Claims{}, err
	}
	return Pair{Access: access, Refresh: refresh}, rc, nil
}
