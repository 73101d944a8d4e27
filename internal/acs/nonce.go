package acs

import (
	"crypto/sha256"
	"sync"
	"time"
)

// NonceVerdict is the answer of NonceCache.Check.
type NonceVerdict int

const (
	// NonceFresh: the nonce was not held; it is now, until its expiry.
	NonceFresh NonceVerdict = iota
	// NonceReplayed: the nonce is held and not yet expired (a replay).
	NonceReplayed
	// NonceThrottled: the nonce is new but its scope already holds its share of
	// unexpired nonces; nothing was recorded and nothing was evicted.
	NonceThrottled
)

// NonceEntryBytes is the most heap one held nonce costs, all overheads included
// (a 16-byte digest and an expiry in the scope's queue and in its map, with
// the slack of slice and map growth). TestNonceCache_MemoryBound measures it.
const NonceEntryBytes = 128

// NonceCache refuses replays that no client can flush. A nonce is held until
// the expiry the caller gives (the end of the time window its timestamp is
// accepted in), never evicted earlier: capacity is divided into scopes (the
// caller's unit of fairness, e.g. an account), each holding at most perScope
// unexpired nonces. A scope at its share is throttled (NonceThrottled) rather
// than evicting anything, so a flood from one scope never makes another
// scope's nonce — or its own — acceptable again.
//
// Memory: at most perScope × NonceEntryBytes per scope, and scopes × that in
// total; the number of scopes is the caller's bound (scopes are created on
// first use and dropped when all their nonces have expired). Nonces are kept
// as 16-byte digests, so their length costs nothing. Each call is O(1)
// amortised. Safe for concurrent use; the zero value is not usable, call
// NewNonceCache.
type NonceCache struct {
	mu       sync.Mutex
	perScope int
	scopes   map[string]*nonceScope
}

type nonceDigest [16]byte

// nonceScope keeps its nonces in arrival order (queue, oldest at head) for
// expiry, and by digest (held) for lookup.
type nonceScope struct {
	queue []nonceEntry
	head  int
	held  map[nonceDigest]int64 // digest → expiry, Unix nanoseconds
}

type nonceEntry struct {
	digest  nonceDigest
	expires int64
}

// NewNonceCache returns an empty cache holding at most perScope unexpired
// nonces per scope (below 1 taken as 1).
func NewNonceCache(perScope int) *NonceCache {
	return &NonceCache{perScope: max(perScope, 1), scopes: make(map[string]*nonceScope)}
}

// PerScope is the share of each scope.
func (c *NonceCache) PerScope() int { return c.perScope }

// Check looks nonce up in scope at time now. A fresh nonce is recorded until
// expires (an expiry not after now records nothing). Callers put everything
// that scopes a nonce into the nonce string (e.g. AccessKeyId + "\x00" +
// SignatureNonce); scope only divides capacity. A clock running backwards
// delays expiry but never breaks the bound.
func (c *NonceCache) Check(scope, nonce string, now, expires time.Time) NonceVerdict {
	sum := sha256.Sum256([]byte(nonce))
	var d nonceDigest
	copy(d[:], sum[:])
	t, exp := now.UnixNano(), expires.UnixNano()

	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.scopes[scope]
	if s == nil {
		s = &nonceScope{held: make(map[nonceDigest]int64)}
		c.scopes[scope] = s
	}
	s.expire(t)
	if e, ok := s.held[d]; ok && t < e {
		return NonceReplayed
	}
	if exp <= t {
		return NonceFresh
	}
	if len(s.queue)-s.head >= c.perScope {
		return NonceThrottled
	}
	s.held[d] = exp
	s.queue = append(s.queue, nonceEntry{d, exp})
	return NonceFresh
}

// expire drops the expired nonces at the head of the queue, and compacts the
// queue once half of it is dead.
func (s *nonceScope) expire(now int64) {
	for s.head < len(s.queue) && s.queue[s.head].expires <= now {
		e := s.queue[s.head]
		if s.held[e.digest] == e.expires { // not re-recorded since (clock went back)
			delete(s.held, e.digest)
		}
		s.head++
	}
	if s.head == len(s.queue) && cap(s.queue) > 1024 {
		*s = nonceScope{held: make(map[nonceDigest]int64)} // give a flood's memory back
		return
	}
	if s.head > 0 && s.head*2 >= len(s.queue) {
		n := copy(s.queue, s.queue[s.head:])
		s.queue = s.queue[:n]
		s.head = 0
	}
}

// Len returns the number of nonces held (expired ones not yet dropped
// included) over all scopes.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.scopes {
		n += len(s.queue) - s.head
	}
	return n
}

// Sweep drops every expired nonce and every scope left empty; Check does the
// same for the scope it touches, so calling Sweep is only needed to return
// the memory of scopes that went quiet.
func (c *NonceCache) Sweep(now time.Time) {
	t := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, s := range c.scopes {
		s.expire(t)
		if len(s.queue) == s.head {
			delete(c.scopes, name)
		}
	}
}
