package ecs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/exportimage/eic/reference/oss"
)

// DefaultExportSpeed is the export pace when neither WithExportSpeed nor the fixtures set
// one: 64 MiB of disk data per second of clock.
const DefaultExportSpeed = 64 << 20

// WaitingTime is how long a new task stays Waiting before it starts Processing.
const WaitingTime = 10 * time.Second

// tickInterval is how often tasks progress in the background under a real clock.
const tickInterval = 200 * time.Millisecond

// Service is the reference ECS: every account, region, image, bucket, role, quota and task,
// behind one lock. All methods are safe for concurrent use. Each method first brings every
// task up to the clock's time, so answers are always current.
type Service struct {
	mu      lockedState
	clock   Clock
	virtual *VirtualClock // nil under any other clock
	store   oss.Store
	ids     *ids
	fx      *Fixtures // the loaded fixtures Reset returns to
	speed   int64     // WithExportSpeed; 0 means the fixtures' or the default
	st      *world
	closed  bool
	journal Journal      // nil: memory only
	saved   journalState // what the journal last saved

	unhook   func()
	stopTick chan struct{}
	tickDone chan struct{}
}

// Option configures New.
type Option func(*config)

type config struct {
	clock   Clock
	store   oss.Store
	fx      *Fixtures
	seed    int64
	speed   int64
	journal Journal
}

// WithClock sets the clock; default RealClock. With a *VirtualClock, tasks move only when it
// is advanced (and are fully up to date when Advance returns).
func WithClock(c Clock) Option { return func(o *config) { o.clock = c } }

// WithStore sets the object store exports write into; default oss.NewMemory(). The buckets of
// the fixtures are created in it (existing ones are emptied on Reset).
func WithStore(s oss.Store) Option { return func(o *config) { o.store = s } }

// WithFixtures replaces the default fixtures (DefaultFixtures). New panics if they do not
// validate: build them with ParseFixtures or check them with Validate first.
func WithFixtures(f *Fixtures) Option { return func(o *config) { o.fx = f } }

// WithSeed seeds the ID source (task IDs, STS credentials); default 1.
func WithSeed(seed int64) Option { return func(o *config) { o.seed = seed } }

// WithExportSpeed sets the export pace in bytes of disk data per second of clock, overriding
// the fixtures' exportSpeed.
func WithExportSpeed(bytesPerSecond int64) Option {
	return func(o *config) { o.speed = bytesPerSecond }
}

// New returns a ready Service. With no options it is hermetic: default fixtures, a memory
// store, the real clock, seed 1. It panics where Open fails (invalid fixtures, a store that
// refuses their buckets: set-up defects). Call Close when done.
func New(opts ...Option) *Service {
	s, err := Open(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Open is New returning an error instead of panicking; with WithJournal it also fails when
// the saved state cannot be read.
func Open(opts ...Option) (*Service, error) {
	cfg := config{clock: RealClock{}, seed: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.store == nil {
		cfg.store = oss.NewMemory(oss.WithClock(cfg.clock.Now))
	}
	if cfg.fx == nil {
		cfg.fx = DefaultFixtures()
	}
	if err := cfg.fx.Validate(); err != nil {
		return nil, err
	}
	s := &Service{clock: cfg.clock, store: cfg.store, ids: newIDs(uint64(cfg.seed)), fx: cfg.fx, speed: max(cfg.speed, 0),
		journal: cfg.journal}
	s.mu.s = s
	s.st = newWorld()
	if s.journal != nil {
		if err := s.restoreLocked(cfg.fx); err != nil {
			s.journal = nil // save nothing of a half-restored world
			s.Close()
			return nil, err
		}
	} else if err := s.resetLocked(cfg.fx); err != nil {
		return nil, err
	}
	if vc, ok := cfg.clock.(*VirtualClock); ok {
		s.virtual = vc
		s.unhook = vc.onAdvance(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.syncLocked()
		})
	} else {
		s.stopTick, s.tickDone = make(chan struct{}), make(chan struct{})
		go s.tick()
	}
	return s, nil
}

func (s *Service) tick() {
	defer close(s.tickDone)
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopTick:
			return
		case <-t.C:
			s.mu.Lock()
			s.syncLocked()
			s.mu.Unlock()
		}
	}
}

// Close stops every task's writer (aborting its uploads: nothing temporary is left) and the
// background ticker, and returns the IDs of the tasks that were still Waiting or Processing,
// oldest first, so a server can say what shutdown interrupted. Those tasks keep their last
// state; the Service must not be used afterwards. Close is idempotent.
func (s *Service) Close() []string {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.syncLocked()
	s.closed = true
	var ids []string
	for _, t := range s.st.active {
		ids = append(ids, t.id)
		if t.run != nil {
			t.run.halt()
			t.abortUploads()
		}
	}
	s.mu.Unlock()
	if s.unhook != nil {
		s.unhook()
	}
	if s.stopTick != nil {
		close(s.stopTick)
		<-s.tickDone
	}
	return ids
}

// Reset returns to the loaded fixtures: every task, object, STS token, injected fault and
// quota override is gone; the ID source continues (no task ID or STS key is ever handed out
// twice); the clock is unchanged.
func (s *Service) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resetLocked(s.fx)
}

// LoadFixtures parses a YAML or JSON fixtures document and makes it the loaded set, replacing
// the current one or, with extend, laid over it (Fixtures.Extend); then resets. On error
// nothing changes.
func (s *Service) LoadFixtures(data []byte, extend bool) error {
	parse := ParseFixtures
	if extend {
		parse = decodeFixtures // validated below, once merged
	}
	f, err := parse(data)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if extend {
		if f, err = s.fx.Extend(f); err != nil {
			return err
		}
	}
	if err := s.resetLocked(f); err != nil {
		return err
	}
	s.fx = f
	return nil
}

// Now is the Service's clock time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Virtual reports whether the clock is a VirtualClock (and Advance works).
func (s *Service) Virtual() bool { return s.virtual != nil }

// ErrRealClock is returned by Advance when the clock is not virtual.
var ErrRealClock = errors.New("ecs: the clock is real and cannot be advanced")

// Advance moves a virtual clock forward; every task has progressed as far as the new time
// allows when it returns.
func (s *Service) Advance(d time.Duration) (time.Time, error) {
	if s.virtual == nil {
		return time.Time{}, ErrRealClock
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("ecs: cannot advance the clock by %v", d)
	}
	return s.virtual.Advance(d), nil
}

// exportSpeed is the effective pace in bytes per second.
func (s *Service) exportSpeed() int64 {
	switch {
	case s.speed > 0:
		return s.speed
	case s.fx.ExportSpeed > 0:
		return s.fx.ExportSpeed
	}
	return DefaultExportSpeed
}

// resetLocked stops every task, empties and recreates the buckets of the old and new
// fixtures, and rebuilds the world from f.
func (s *Service) resetLocked(f *Fixtures) error {
	ctx := context.Background()
	for _, t := range s.st.active {
		if t.run != nil {
			t.run.halt()
			t.abortUploads()
		}
	}
	for _, set := range []*Fixtures{s.fx, f} {
		for _, a := range set.Accounts {
			for _, b := range a.Buckets {
				if err := s.store.DeleteBucket(ctx, b.Name); err != nil && !errors.Is(err, oss.ErrNoSuchBucket) {
					return fmt.Errorf("ecs: reset: %w", err)
				}
			}
		}
	}
	w, err := s.buildWorld(ctx, f)
	if err != nil {
		return fmt.Errorf("ecs: reset: %w", err)
	}
	s.st = w // the ID source continues: IDs never repeat across resets
	return nil
}

// buildWorld builds the world of fixtures f and creates their buckets in the store (a bucket
// that is already there, with its objects, is kept).
func (s *Service) buildWorld(ctx context.Context, f *Fixtures) (*world, error) {
	w := newWorld()
	w.build(f)
	for _, a := range f.Accounts {
		for _, b := range a.Buckets {
			err := s.store.CreateBucket(ctx, oss.Bucket{Name: b.Name, Region: b.Region, Owner: a.Name, Created: s.clock.Now()})
			if err != nil && !errors.Is(err, oss.ErrBucketExists) {
				return nil, err
			}
		}
	}
	return w, nil
}

// world is everything Reset throws away.
type world struct {
	regions     map[string]*region
	regionOrder []string
	accounts    map[string]*account
	keys        map[string]Key
	tokens      map[string]Token
	images      map[string]*image

	tasks       map[string]*task
	indexes     map[scope]*taskIndex
	active      []*task          // Waiting and Processing, oldest first
	exporting   map[string]*task // image ID → its in-flight task
	quotas      map[scope]QuotaSpec
	submissions map[scope][]time.Time // submission times within the last week
	faults      []Fault
	seq         uint64
	lastCreated time.Time
}

// scope is an account in a region: the unit of quotas and task listings.
type scope struct{ account, region string }

func newWorld() *world {
	return &world{
		regions: map[string]*region{}, accounts: map[string]*account{}, keys: map[string]Key{},
		tokens: map[string]Token{}, images: map[string]*image{}, tasks: map[string]*task{},
		indexes: map[scope]*taskIndex{}, exporting: map[string]*task{}, quotas: map[scope]QuotaSpec{},
		submissions: map[scope][]time.Time{},
	}
}

func (w *world) build(f *Fixtures) {
	for _, r := range f.Regions {
		if boolOr(r.Exists, true) {
			w.regions[r.ID] = newRegion(r)
			w.regionOrder = append(w.regionOrder, r.ID)
		}
	}
	for _, a := range f.Accounts {
		acc := newAccount(a)
		w.accounts[a.Name] = acc
		for _, k := range a.Keys {
			w.keys[k.ID] = Key{ID: k.ID, Secret: k.Secret, Disabled: k.Disabled, Account: a.Name}
		}
		for _, im := range a.Images {
			w.images[im.ID] = newImage(im, acc)
		}
		for _, ts := range a.Tasks {
			created, _ := ts.created() // validated with the fixtures
			w.seq++
			t := &task{id: ts.ID, seq: w.seq, sc: scope{a.Name, ts.Region}, action: ts.Action, resource: ts.Resource,
				status: cmp.Or(ts.Status, StatusProcessing), created: created, finished: created}
			w.tasks[t.id] = t
			ix := w.indexes[t.sc]
			if ix == nil {
				ix = &taskIndex{byStatus: map[string][]*task{}}
				w.indexes[t.sc] = ix
			}
			i := sort.Search(len(ix.foreign), func(i int) bool { return newer(ix.foreign[i], t) })
			ix.foreign = slices.Insert(ix.foreign, i, t)
		}
	}
}

// ListObjects lists the committed objects of a bucket (any account's), sorted by key.
func (s *Service) ListObjects(ctx context.Context, bucket string) ([]oss.Object, error) {
	return s.store.List(ctx, bucket, "")
}

// ReadObject opens a committed object; the caller closes it.
func (s *Service) ReadObject(ctx context.Context, bucket, key string) (oss.Reader, error) {
	return s.store.Open(ctx, bucket, key)
}

// Store is the object store exports write into.
func (s *Service) Store() oss.Store { return s.store }
