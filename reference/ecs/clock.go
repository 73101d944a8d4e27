package ecs

import (
	"sync"
	"time"
)

// Clock is the only source of time of the package.
type Clock interface {
	Now() time.Time
}

// RealClock is the wall clock. Under it, tasks progress in the background (a ticker of the
// Service) and on every Service call.
type RealClock struct{}

// Now is time.Now in UTC: the one place the package reads the wall clock.
func (RealClock) Now() time.Time { return time.Now().UTC() }

// VirtualClock is a clock that moves only when told to. Services using it bring every task up
// to date before Advance returns.
type VirtualClock struct {
	mu    sync.Mutex
	now   time.Time
	hooks map[int]func()
	next  int
}

// NewVirtualClock returns a clock reading start (in UTC).
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start.UTC(), hooks: map[int]func(){}}
}

// Now returns the clock's time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (a negative d is treated as zero: time never goes back)
// and returns only when every Service using the clock has caught up with the new time.
func (c *VirtualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	now := c.now
	hooks := make([]func(), 0, len(c.hooks))
	for _, h := range c.hooks {
		hooks = append(hooks, h)
	}
	c.mu.Unlock()
	for _, h := range hooks {
		h()
	}
	return now
}

// onAdvance registers fn to run (outside the clock's lock) after every Advance; the returned
// func unregisters it.
func (c *VirtualClock) onAdvance(fn func()) (remove func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next
	c.next++
	c.hooks[id] = fn
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.hooks, id)
	}
}
