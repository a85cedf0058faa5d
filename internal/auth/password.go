package auth

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/alexedwards/argon2id"
)

// passwordParams are argon2id parameters at or above the OWASP recommendation
// (m=19 MiB, t=2, p=1).
var passwordParams = &argon2id.Params{
	Memory:      19 * 1024,
	Iterations:  2,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// hashSlots bounds the password hashes computed at once: each takes 19 MiB and a core for tens of
// milliseconds, so a burst of logins queues here instead of exhausting memory.
var hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

func acquireHashSlot() func() {
	hashSlots <- struct{}{}
	return func() { <-hashSlots }
}

// HashPassword returns an encoded argon2id hash (PHC string format).
func HashPassword(password string) (string, error) {
	defer acquireHashSlot()()
	h, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// CheckPassword reports whether password matches the encoded hash, in constant time.
func CheckPassword(password, encoded string) (bool, error) {
	defer acquireHashSlot()()
	ok, err := argon2id.ComparePasswordAndHash(password, encoded)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	return ok, nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// BurnPasswordCheck does the work of one password check against a throw-away hash, so that a login
// for an unknown email takes as long as one with a wrong password and cannot reveal who is registered.
func BurnPasswordCheck(password string) {
	dummyOnce.Do(func() {
		dummyHash, _ = HashPassword("dummy password for timing equalisation")
	})
	_, _ = CheckPassword(password, dummyHash)
}
