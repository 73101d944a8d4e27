package acs

import (
	"container/list"
	"sync"
	"time"
)

// NonceCache remembers recently used nonces to refuse replays. Memory is
// bounded both in time (an entry lives for window after it was first seen,
// and expired entries are evicted on every call) and in count (at
// maxEntries the oldest entry is evicted, so a flood can make a very old
// nonce acceptable again before its window ends — the price of a hard bound).
// Each call is O(1) amortised. Safe for concurrent use; the zero value is not
// usable, call NewNonceCache.
//
// Keys are opaque: callers scope nonces per credential, e.g.
// AccessKeyID + "\x00" + Nonce. Choose window at least as long as the
// accepted timestamp skew on both sides (ECS: 15 minutes), so a nonce cannot
// be replayed while its timestamp is still accepted.
type NonceCache struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	byKey  map[string]*list.Element
	order  *list.List // of *nonceEntry, oldest (first inserted) at the front
}

type nonceEntry struct {
	key     string
	expires time.Time
}

// NewNonceCache returns an empty cache. maxEntries below 1 is taken as 1; a
// window of zero or less keeps nothing (every Seen reports false).
func NewNonceCache(window time.Duration, maxEntries int) *NonceCache {
	if maxEntries < 1 {
		maxEntries = 1
	}
	return &NonceCache{window: window, max: maxEntries, byKey: make(map[string]*list.Element), order: list.New()}
}

// Seen reports whether key was recorded within the window before now
// (a replay). If not, it records key at now and reports false. now is the
// caller's clock; entries are evicted in insertion order, so a clock that
// runs backwards delays eviction but never breaks the count bound.
func (c *NonceCache) Seen(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Front(); e != nil; e = c.order.Front() {
		if ne := e.Value.(*nonceEntry); now.Before(ne.expires) {
			break
		}
		c.remove(e)
	}
	if e, ok := c.byKey[key]; ok {
		if now.Before(e.Value.(*nonceEntry).expires) {
			return true
		}
		c.remove(e) // expired but behind a younger entry (clock went back)
	}
	if c.window <= 0 {
		return false
	}
	for c.order.Len() >= c.max {
		c.remove(c.order.Front())
	}
	c.byKey[key] = c.order.PushBack(&nonceEntry{key: key, expires: now.Add(c.window)})
	return false
}

// Len returns the number of nonces currently held.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *NonceCache) remove(e *list.Element) {
	delete(c.byKey, e.Value.(*nonceEntry).key)
	c.order.Remove(e)
}
