package auth

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
)

// Login throttling, in PostgreSQL so every replica shares it, with two counters per failure:
//
//   - per (account, client address): the account is the normalised email, registered or not, so the
//     throttle reveals nothing about who is registered. From ThrottleMaxFailures failures in
//     ThrottleWindow on, the pair is locked for ThrottleLockBase, doubling per further failure up
//     to ThrottleLockMax. An attacker's failures lock the attacker's address only: the owner of the
//     account, logging in from anywhere else, is never locked out by them.
//   - per client address across all accounts (credential stuffing): the same, from
//     DefaultMaxFailuresPerAddress failures (LOGIN_MAX_FAILURES_PER_ADDRESS) on.
//
// Inside a lock even the right password is refused, so a lock cannot confirm a guess; a locked
// attempt costs no password hash. A success clears its pair's counter, never the address's.
const (
	ThrottleWindow      = 15 * time.Minute
	ThrottleMaxFailures = 10
	ThrottleLockBase    = 30 * time.Second
	ThrottleLockMax     = 15 * time.Minute

	DefaultMaxFailuresPerAddress = 100
)

// ThrottlePolicy is one counter's rule: MaxFailures failures within Window lock for LockBase,
// doubling per further failure up to LockMax.
type ThrottlePolicy struct {
	Window      time.Duration
	MaxFailures int32
	LockBase    time.Duration
	LockMax     time.Duration
}

// PairPolicy is the (account, address) rule.
var PairPolicy = ThrottlePolicy{Window: ThrottleWindow, MaxFailures: ThrottleMaxFailures, LockBase: ThrottleLockBase, LockMax: ThrottleLockMax}

// AddressPolicy is the per-address rule for a bound of maxFailures.
func AddressPolicy(maxFailures int) ThrottlePolicy {
	p := PairPolicy
	p.MaxFailures = int32(min(maxFailures, math.MaxInt32)) //nolint:gosec // bounded just above
	return p
}

// ThrottleState is the failure record of one counter.
type ThrottleState struct {
	Failures    int32
	WindowStart time.Time
	LockedUntil *time.Time
}

// Next counts one more failure at now. A record with no failures, or whose window is over, starts
// a new window.
func (p ThrottlePolicy) Next(cur ThrottleState, now time.Time) ThrottleState {
	if cur.Failures <= 0 || now.Sub(cur.WindowStart) > p.Window {
		cur = ThrottleState{WindowStart: now}
	}
	next := ThrottleState{Failures: cur.Failures + 1, WindowStart: cur.WindowStart}
	if next.Failures >= p.MaxFailures {
		extra := float64(next.Failures - p.MaxFailures)
		lock := time.Duration(math.Min(float64(p.LockBase)*math.Pow(2, extra), float64(p.LockMax)))
		until := now.Add(lock)
		next.LockedUntil = &until
	}
	return next
}

// ExpiresAt is when the record stops mattering: its window and any lock are over. The clean-up
// deletes it after that.
func (p ThrottlePolicy) ExpiresAt(st ThrottleState) time.Time {
	end := st.WindowStart.Add(p.Window)
	if st.LockedUntil != nil && st.LockedUntil.After(end) {
		end = *st.LockedUntil
	}
	return end
}

// maxAddressKeyLength bounds what is stored of an address that is not an IP address (it always is,
// as echo's extractors return one; this is a safety net).
const maxAddressKeyLength = 64

// AddressKey is the throttle key of a client address: an IPv4 address (also when written as
// IPv4-mapped IPv6), or the /64 network of an IPv6 address — one subscriber usually holds a whole
// /64, and must not get a fresh budget per address in it.
func AddressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		if len(addr) > maxAddressKeyLength {
			addr = addr[:maxAddressKeyLength]
		}
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}

func errTooManyAttempts(until, now time.Time, address bool) *apperr.Error {
	msg := "Too many failed logins for this account from this address; try again later."
	if address {
		msg = "Too many failed logins from this address; try again later."
	}
	return &apperr.Error{
		Kind: apperr.KindTooManyRequests, Code: "too_many_attempts", Message: msg,
		RetryAfter: max(1, int(math.Ceil(until.Sub(now).Seconds()))),
	}
}

// checkThrottle refuses a login while the (account, address) pair or the address is locked. It
// also reports whether the pair has a failure counter, which a successful login then clears.
func (s *Service) checkThrottle(ctx context.Context, email, address string) (counted bool, err error) {
	now := s.tokens.now()
	locks, err := s.q.LoginLocks(ctx, db.LoginLocksParams{Email: email, Address: address, Now: now})
	if err != nil {
		return false, fmt.Errorf("check login throttle: %w", err)
	}
	switch pair, addr := locks.PairLockedUntil, locks.AddressLockedUntil; {
	case addr != nil && (pair == nil || !addr.Before(*pair)):
		return false, errTooManyAttempts(*addr, now, true)
	case pair != nil:
		return false, errTooManyAttempts(*pair, now, false)
	}
	return locks.PairCounted, nil
}

// recordFailure counts a failed login against its pair and its address, in one statement (the
// database applies PairPolicy and the address policy; see login_throttle_next).
func (s *Service) recordFailure(ctx context.Context, email, address string) error {
	err := s.q.RecordLoginFailure(ctx, db.RecordLoginFailureParams{
		Email: email, Address: address, Now: s.tokens.now(), Win: interval(PairPolicy.Window),
		PairMaxFailures: PairPolicy.MaxFailures, AddressMaxFailures: AddressPolicy(s.maxFailuresPerAddress).MaxFailures,
		LockBase: interval(PairPolicy.LockBase), LockMax: interval(PairPolicy.LockMax),
	})
	if err != nil {
		return fmt.Errorf("count the failed login: %w", err)
	}
	return nil
}

func interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}
