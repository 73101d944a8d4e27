package acs

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestNonceCache_Check(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewNonceCache(10)
	exp := t0.Add(time.Minute)
	if got := c.Check("acct", "a", t0, exp); got != NonceFresh {
		t.Errorf("first Check(a) = %v, want fresh", got)
	}
	if got := c.Check("acct", "a", t0.Add(59*time.Second), exp); got != NonceReplayed {
		t.Errorf("Check(a) before expiry = %v, want replayed", got)
	}
	if got := c.Check("other", "a", t0, exp); got != NonceFresh {
		t.Errorf("Check(a) in another scope = %v, want fresh (scopes only divide capacity)", got)
	}
	if got := c.Check("acct", "a", exp, exp.Add(time.Minute)); got != NonceFresh {
		t.Errorf("Check(a) at expiry = %v, want fresh", got)
	}
	if got := c.Check("acct", "b", t0, t0); got != NonceFresh || c.Check("acct", "b", t0, t0) != NonceFresh {
		t.Error("a nonce already expired is never recorded")
	}
}

// TestNonceCache_Share: a scope at its share is throttled; nothing is evicted, so every nonce
// of every scope stays a replay until it expires, whatever the flood.
func TestNonceCache_Share(t *testing.T) {
	t0 := time.Unix(1000, 0)
	exp := t0.Add(15 * time.Minute)
	c := NewNonceCache(3)
	if c.Check("victim", "captured", t0, exp) != NonceFresh {
		t.Fatal("victim's first request refused")
	}
	throttled := 0
	for i := range 1000 {
		switch c.Check("flooder", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Millisecond), exp) {
		case NonceThrottled:
			throttled++
		case NonceReplayed:
			t.Fatalf("fresh nonce %d reported replayed", i)
		}
	}
	if throttled != 997 {
		t.Errorf("throttled = %d, want 997", throttled)
	}
	if got := c.Len(); got != 4 {
		t.Errorf("Len after the flood = %d, want 4 (each scope within its share)", got)
	}
	if got := c.Check("victim", "captured", t0.Add(time.Minute), exp); got != NonceReplayed {
		t.Errorf("victim's replay after the flood = %v, want replayed", got)
	}
	for i := range 3 {
		if got := c.Check("flooder", fmt.Sprint(i), t0.Add(time.Minute), exp); got != NonceReplayed {
			t.Errorf("flooder's own nonce %d after the flood = %v, want replayed", i, got)
		}
	}
	if got := c.Check("flooder", "new", exp, exp.Add(time.Minute)); got != NonceFresh {
		t.Errorf("after expiry the share is free again: got %v", got)
	}
	c.Sweep(exp.Add(2 * time.Minute))
	if got := c.Len(); got != 0 {
		t.Errorf("Len after Sweep past every expiry = %d, want 0", got)
	}
}

func TestNonceCache_ClockBackwards(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := NewNonceCache(10)
	c.Check("s", "late", t0, t0.Add(time.Minute))
	c.Check("s", "early", t0.Add(-time.Hour), t0.Add(-time.Hour+time.Minute)) // expires first, queued behind "late"
	if got := c.Check("s", "early", t0, t0.Add(5*time.Minute)); got != NonceFresh {
		t.Errorf("expired entry behind a younger one = %v, want fresh", got)
	}
	// The re-recorded "early" must survive the old entry's removal.
	c.Check("s", "x", t0.Add(2*time.Minute), t0.Add(3*time.Minute))
	if got := c.Check("s", "early", t0.Add(3*time.Minute), t0.Add(5*time.Minute)); got != NonceReplayed {
		t.Errorf("re-recorded nonce = %v, want replayed", got)
	}
}

func TestNonceCache_Concurrent(t *testing.T) {
	c := NewNonceCache(1000)
	now := time.Unix(0, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if c.Check("s", fmt.Sprint(i%100), now, now.Add(time.Minute)) == NonceFresh {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if fresh != 100 {
		t.Errorf("fresh nonces = %d, want 100", fresh)
	}
}

// TestNonceCache_MemoryBound fills scopes to their share with long nonces and checks the heap
// grew by less than scopes × perScope × NonceEntryBytes.
func TestNonceCache_MemoryBound(t *testing.T) {
	const perScope, scopes = 1 << 14, 4
	nonces := make([]string, perScope)
	for i := range nonces {
		nonces[i] = fmt.Sprintf("%0200d", i) // length must not matter
	}
	now := time.Unix(0, 0)
	exp := now.Add(time.Hour)
	before := heapInUse()
	c := NewNonceCache(perScope)
	for s := range scopes {
		for _, n := range nonces {
			if c.Check(fmt.Sprint(s), n, now, exp) != NonceFresh {
				t.Fatal("fresh nonce refused below the share")
			}
		}
		if c.Check(fmt.Sprint(s), "one more", now, exp) != NonceThrottled {
			t.Fatal("a scope over its share must be throttled")
		}
	}
	grown := heapInUse() - before
	bound := uint64(scopes * perScope * NonceEntryBytes)
	t.Logf("heap grew %d bytes for %d nonces (%.1f B each; bound %d B each)", grown, scopes*perScope,
		float64(grown)/float64(scopes*perScope), NonceEntryBytes)
	if grown > bound {
		t.Errorf("heap grew %d bytes, over the stated bound %d", grown, bound)
	}
	runtime.KeepAlive(c)
	runtime.KeepAlive(nonces)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
