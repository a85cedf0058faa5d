package crm

import (
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
)

// figuresCacheSize bounds the analytics answers a service remembers: one per organization, owner
// filter and window, a few hundred bytes each.
const figuresCacheSize = 1024

// figures remembers analytics answers with what they depend on besides the request: the version of
// the organization's deals they were computed at and the instant from which the moving window
// changes them. Their statement is given both back and answers no rows while both still hold, so a
// dashboard read again and again is computed once per change of the deals, not once per reader;
// the database keeps the version, so this holds across replicas of the service.
type figures[T any] struct {
	cache *lru.Cache[figuresKey, computed[T]]
}

type figuresKey struct {
	org, owner uuid.UUID // owner: uuid.Nil for the whole organization
	days       int32
}

type computed[T any] struct {
	version int64
	until   time.Time
	value   T
}

func newFigures[T any]() *figures[T] {
	c, err := lru.New[figuresKey, computed[T]](figuresCacheSize)
	if err != nil { // only for a size below one
		panic(err)
	}
	return &figures[T]{cache: c}
}

func figuresKeyOf(org uuid.UUID, owner *uuid.UUID, days int32) figuresKey {
	k := figuresKey{org: org, days: days}
	if owner != nil {
		k.owner = *owner
	}
	return k
}

// known is what the statement is told the caller holds: a version no organization has (-1) and an
// instant long past when nothing is held, so that the statement computes.
func (f *figures[T]) known(k figuresKey) (computed[T], bool) {
	c, ok := f.cache.Get(k)
	if !ok {
		return computed[T]{version: -1, until: time.Unix(0, 0)}, false
	}
	return c, true
}

func (f *figures[T]) remember(k figuresKey, c computed[T]) { f.cache.Add(k, c) }
