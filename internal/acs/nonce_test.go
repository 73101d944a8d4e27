package acs

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestNonceCache_Seen(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewNonceCache(time.Minute, 10)
	if c.Seen("a", t0) {
		t.Error("first Seen(a) = true")
	}
	if !c.Seen("a", t0.Add(59*time.Second)) {
		t.Error("Seen(a) within window = false")
	}
	if c.Seen("a", t0.Add(time.Minute)) {
		t.Error("Seen(a) after window = true")
	}
	if !c.Seen("a", t0.Add(61*time.Second)) {
		t.Error("re-recorded a not seen")
	}
}

func TestNonceCache_Bounds(t *testing.T) {
	t0 := time.Unix(0, 0)
	c := NewNonceCache(time.Hour, 3)
	for i := range 5 {
		c.Seen(fmt.Sprint(i), t0)
	}
	if got := c.Len(); got != 3 {
		t.Errorf("Len = %d, want 3", got)
	}
	if c.Seen("4", t0) != true || c.Seen("0", t0) != false {
		t.Error("capacity must evict the oldest entries first")
	}
	c.Seen("x", t0.Add(2*time.Hour)) // everything else expired
	if got := c.Len(); got != 1 {
		t.Errorf("Len after expiry = %d, want 1", got)
	}
	z := NewNonceCache(0, 0)
	if z.Seen("a", t0) || z.Seen("a", t0) || z.Len() != 0 {
		t.Error("zero window must keep nothing")
	}
}

func TestNonceCache_ClockBackwards(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := NewNonceCache(time.Minute, 10)
	c.Seen("late", t0)
	c.Seen("early", t0.Add(-time.Hour)) // expires before "late" but sits behind it
	if c.Seen("early", t0) {
		t.Error("expired entry behind a younger one reported as seen")
	}
}

func TestNonceCache_Concurrent(t *testing.T) {
	c := NewNonceCache(time.Minute, 1000)
	now := time.Unix(0, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if !c.Seen(fmt.Sprint(i%100), now) {
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
