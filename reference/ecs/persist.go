package ecs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/exportimage/eic/reference/diskimage"
)

// Journal keeps the Service's state across restarts (reference/durable implements it on
// bbolt). The Service saves a Change, in one call, every time it releases its lock with
// something changed, so whatever a caller was answered is saved before the answer leaves.
//
// What survives: every task (state, progress, times, error), quota overrides (SetQuota), and
// a virtual clock's time. Quota usage is the tasks' creation times, so it survives with them.
// What does not: injected faults, STS tokens, a role removed by a fault, fixtures loaded
// through the control API (a restart serves the fixtures it is started with; tasks of images
// they lack are dropped).
type Journal interface {
	// Load returns the saved state; the zero State when nothing was ever saved.
	Load() (State, error)
	// Save applies a change atomically: all of it or, with an error, none of it.
	Save(Change) error
}

// State is what a Journal holds.
type State struct {
	Tasks  []TaskRecord
	Quotas []QuotaRecord
	// Clock is the virtual clock's time when it was last saved; zero under a real clock.
	Clock time.Time
}

// Change is one atomic update of a Journal. With Wipe, every saved task and quota is
// dropped first (the Service was Reset); Quotas, when not nil, replaces the saved quota
// overrides; Tasks are upserted by ID; a non-zero Clock replaces the saved clock.
type Change struct {
	Wipe   bool
	Tasks  []TaskRecord
	Quotas []QuotaRecord
	Clock  time.Time
}

// TaskRecord is a task as saved. Foreign marks a fixture task of another action, of which
// only Status and Finished are kept (the rest comes from the fixtures).
type TaskRecord struct {
	ID       string    `json:"id"`
	Seq      uint64    `json:"seq"`
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Foreign  bool      `json:"foreign,omitempty"`
	ImageID  string    `json:"imageId,omitempty"`
	Bucket   string    `json:"bucket,omitempty"`
	Prefix   string    `json:"prefix,omitempty"`
	Format   string    `json:"format,omitempty"`
	Status   string    `json:"status"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Done     int64     `json:"done,omitempty"`
	ErrCode  string    `json:"errCode,omitempty"`
	ErrMsg   string    `json:"errMsg,omitempty"`
}

// QuotaRecord is one quota override.
type QuotaRecord struct {
	Account    string `json:"account"`
	Region     string `json:"region"`
	Concurrent int    `json:"concurrent"`
	Weekly     int    `json:"weekly"`
}

// WithJournal restores the Service from j when it is created (Open reports a journal that
// cannot be read; New panics) and saves every change into it. The store's buckets are then kept, not emptied:
// objects of finished tasks stay. An export that was in flight when the previous process
// stopped (cleanly or not) resumes: its objects, if any were committed, are deleted, and its
// writer starts again from the start of the disk while the progress shown follows the
// clock, so it never goes back. Pair it with a store that keeps objects too (oss.Dir):
// with a memory store, restored Finished tasks would name objects that are gone.
func WithJournal(j Journal) Option { return func(o *config) { o.journal = j } }

// lockedState is the Service's mutex; releasing it saves what changed when a Journal is set.
type lockedState struct {
	sync.Mutex
	s *Service
}

// Unlock saves the changes made under the lock, then releases it. The first Unlock after
// Close saves the final state and detaches the journal (its owner closes it next).
func (l *lockedState) Unlock() {
	if s := l.s; s != nil && s.journal != nil {
		s.flushLocked()
		if s.closed {
			s.journal = nil
		}
	}
	l.Mutex.Unlock()
}

// journalState is what was last saved, to find what changed.
type journalState struct {
	world  *world // nil: rewrite everything at the next save
	seq    uint64 // the last task sequence number saved
	active []*task
	recs   map[string]TaskRecord // in-flight and fixture tasks as saved
	quotas map[scope]QuotaSpec
	clock  time.Time
	err    error
}

// JournalErr is the error of the last failed save (nil once a save succeeds again): the
// change stays pending and is retried at the next one.
func (s *Service) JournalErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saved.err
}

func (t *task) record() TaskRecord {
	r := TaskRecord{ID: t.id, Seq: t.seq, Account: t.sc.account, Region: t.sc.region, Status: t.status,
		Created: t.created, Finished: t.finished}
	if t.foreign() {
		r.Foreign = true
		return r
	}
	r.ImageID, r.Bucket, r.Prefix, r.Format = t.image.spec.ID, t.bucket, t.prefix, string(t.format)
	r.Started, r.Done, r.ErrCode, r.ErrMsg = t.started, t.done, t.errCode, t.errMsg
	return r
}

// flushLocked saves what changed since the last save: everything after a Reset; otherwise
// the tasks that are or were in flight, the fixture tasks, the quota overrides and the clock.
func (s *Service) flushLocked() {
	var c Change
	full := s.saved.world != s.st
	recs := map[string]TaskRecord{}
	keep := func(t *task) {
		r := t.record()
		recs[t.id] = r
		if full || s.saved.recs[t.id] != r {
			c.Tasks = append(c.Tasks, r)
		}
	}
	if full {
		c.Wipe = true
		ids := slices.Sorted(maps.Keys(s.st.tasks))
		for _, id := range ids {
			if t := s.st.tasks[id]; !t.inFlight() && !t.foreign() {
				c.Tasks = append(c.Tasks, t.record())
			}
		}
	} else {
		for _, t := range s.saved.active {
			if !t.inFlight() {
				keep(t) // ended since the last save
			}
		}
		for _, ix := range s.st.indexes {
			for i := len(ix.all) - 1; i >= 0 && ix.all[i].seq > s.saved.seq; i-- {
				if !ix.all[i].inFlight() {
					keep(ix.all[i]) // created and ended since the last save
				}
			}
		}
	}
	for _, t := range s.st.active {
		keep(t)
	}
	for _, ix := range s.st.indexes {
		for _, t := range ix.foreign {
			keep(t)
		}
	}
	if full || !maps.Equal(s.saved.quotas, s.st.quotas) {
		c.Quotas = []QuotaRecord{}
		for sc, q := range s.st.quotas {
			c.Quotas = append(c.Quotas, QuotaRecord{Account: sc.account, Region: sc.region, Concurrent: q.Concurrent, Weekly: q.Weekly})
		}
		sort.Slice(c.Quotas, func(i, j int) bool {
			a, b := c.Quotas[i], c.Quotas[j]
			return a.Account < b.Account || a.Account == b.Account && a.Region < b.Region
		})
	}
	if s.virtual != nil {
		if now := s.virtual.Now(); !now.Equal(s.saved.clock) {
			c.Clock = now
		}
	}
	if !c.Wipe && len(c.Tasks) == 0 && c.Quotas == nil && c.Clock.IsZero() {
		return
	}
	if err := s.journal.Save(c); err != nil {
		s.saved.err = err
		s.saved.world = nil // retry all of it next time
		return
	}
	for id := range recs {
		if t := s.st.tasks[id]; t != nil && !t.inFlight() && !t.foreign() {
			delete(recs, id) // terminal: never changes again
		}
	}
	s.saved = journalState{world: s.st, seq: s.st.seq, active: slices.Clone(s.st.active), recs: recs,
		quotas: maps.Clone(s.st.quotas), clock: s.saved.clock}
	if !c.Clock.IsZero() {
		s.saved.clock = c.Clock
	}
}

// restoreLocked builds the world from the fixtures, keeping the store's buckets and objects,
// then lays the journal's state over it.
func (s *Service) restoreLocked(f *Fixtures) error {
	st, err := s.journal.Load()
	if err != nil {
		return fmt.Errorf("ecs: restore: %w", err)
	}
	ctx := context.Background()
	w, err := s.buildWorld(ctx, f)
	if err != nil {
		return fmt.Errorf("ecs: restore: %w", err)
	}
	s.st = w
	if vc, ok := s.clock.(*VirtualClock); ok && !st.Clock.IsZero() {
		vc.set(st.Clock)
	}
	for _, q := range st.Quotas {
		if w.accounts[q.Account] != nil && w.regions[q.Region] != nil {
			w.quotas[scope{q.Account, q.Region}] = QuotaSpec{Concurrent: q.Concurrent, Weekly: q.Weekly}
		}
	}
	recs := slices.Clone(st.Tasks)
	sort.Slice(recs, func(i, j int) bool { return recs[i].Seq < recs[j].Seq })
	var resume []*task
	for _, r := range recs {
		if r.Foreign {
			if t := w.tasks[r.ID]; t != nil && t.foreign() {
				t.status, t.finished = r.Status, r.Finished
			}
			continue
		}
		im := w.images[r.ImageID]
		if im == nil || w.tasks[r.ID] != nil || im.owner != r.Account || im.spec.Region != r.Region {
			continue // the fixtures no longer hold its image: dropped
		}
		t := &task{id: r.ID, seq: r.Seq, sc: scope{r.Account, r.Region}, image: im, bucket: r.Bucket, prefix: r.Prefix,
			format: diskimage.Format(r.Format), status: r.Status, created: r.Created, started: r.Started,
			finished: r.Finished, done: r.Done, errCode: r.ErrCode, errMsg: r.ErrMsg}
		for _, d := range im.disks {
			t.total += d.data
		}
		if t.inFlight() && w.exporting[im.spec.ID] != nil {
			continue // two exports of one image in flight: impossible unless the file was edited
		}
		s.addTask(t)
		w.seq = max(w.seq, t.seq)
		if t.created.After(w.lastCreated) {
			w.lastCreated = t.created
		}
		w.submissions[t.sc] = append(w.submissions[t.sc], t.created)
		if t.inFlight() {
			resume = append(resume, t)
		}
	}
	for sc, subs := range w.submissions {
		slices.SortFunc(subs, func(a, b time.Time) int { return a.Compare(b) })
		w.submissions[sc] = subs
	}
	for _, t := range resume {
		for _, k := range t.objectKeys() {
			_ = s.store.Delete(ctx, t.bucket, k) // best effort: ErrNoSuchKey is the usual answer
		}
		if t.status == StatusProcessing {
			s.start(t, t.started) // a new writer from the start; on failure the task is Failed
		}
	}
	s.saved = journalState{} // rewrite everything at the first save: dropped tasks go
	return nil
}

// set moves the clock to t, forwards or backwards (a restored clock).
func (c *VirtualClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}
