package paging

import (
	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultAnchors is how many page positions a service remembers: a few hundred bytes each.
const DefaultAnchors = 4096

// Anchors remembers where the pages of keyset lists requested by number start: the keyset position
// of the row before the page, with the list's version when it was read. Page 500 by number is then
// read from its index like a cursor's page, instead of skipping 9,980 rows by offset, for as long
// as nothing writes to the list (each write raises the version; the database keeps it, so this
// holds across replicas of the service). Bounded: the least recently used positions go first.
type Anchors struct {
	cache *lru.Cache[anchorKey, anchor]
}

type anchorKey struct {
	scope string
	page  int32
}

type anchor struct {
	after   Key
	version int64
}

// NewAnchors remembers up to size positions (at least one).
func NewAnchors(size int) *Anchors {
	c, err := lru.New[anchorKey, anchor](max(size, 1))
	if err != nil { // only for a size below one
		panic(err)
	}
	return &Anchors{cache: c}
}

func (a *Anchors) position(scope string, page int32) (anchor, bool) {
	return a.cache.Get(anchorKey{scope, page})
}

func (a *Anchors) remember(scope string, page int32, after Key, version int64) {
	a.cache.Add(anchorKey{scope, page}, anchor{after, version})
}
