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

// answer is the answer of a remembered statement for k. query runs the statement, told the version
// and the instant of the answer f holds (a version no organization has, -1, and an instant long
// past when it holds none, so that the statement computes): no rows mean the held answer still
// holds; rows are a computed answer, each carrying (meta) the version and the instant until which
// it holds, which build turns into the answer that f then holds.
func answer[T, R any](f *figures[T], k figuresKey, query func(version int64, until time.Time) ([]R, error),
	meta func(R) (int64, time.Time), build func([]R) T) (T, error) {
	held, ok := f.cache.Get(k)
	if !ok {
		held = computed[T]{version: -1, until: time.Unix(0, 0)}
	}
	rows, err := query(held.version, held.until)
	if err != nil {
		var zero T
		return zero, err
	}
	if len(rows) == 0 && ok {
		return held.value, nil
	}
	value := build(rows)
	if len(rows) > 0 {
		version, until := meta(rows[0])
		f.cache.Add(k, computed[T]{version: version, until: until, value: value})
	}
	return value, nil
}
