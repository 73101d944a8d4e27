package ecs

import (
	"context"
	"errors"
	"io"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/spec/errcode"
)

// Pacing. Each Processing task has a writer goroutine (runExport) that streams the image's
// disks through diskimage.Write into one oss.Upload per disk. The writer is gated by a byte
// budget: Options.Progress reports the source bytes consumed so far (over all disks), and the
// writer blocks there while that count exceeds the budget. Under the service lock, syncLocked
// sets each task's budget to what the clock allows (speed × time since Processing began) and
// waits until the writer is either blocked wanting more than the budget or has exited. So when
// any Service method or VirtualClock.Advance returns, every writer has done exactly what the
// clock allows; the progress shown is the budget (never the writer's own position), so it is
// deterministic whatever the writers' chunk sizes. All state changes (Processing, Finished,
// Failed, Deleted, commits, aborts) happen under the service lock, never in the writer.

// errHalted is what a halted writer's uploads answer, so the writer unwinds promptly.
var errHalted = errors.New("ecs: export halted")

// errStoreFault is the write failure of an injected store-fail fault.
var errStoreFault = errors.New("ecs: injected store failure")

// runner is the shared state between the service and one writer goroutine.
type runner struct {
	mu          sync.Mutex
	cond        sync.Cond
	budget      int64 // source bytes the writer may consume
	want        int64 // the position the writer waits to reach, when blocked
	blocked     bool
	halted      bool // the writer must stop: its writes fail, the gate opens
	storeBroken bool // the writer's writes fail with errStoreFault
	exited      bool
	err         error // the writer's result, once exited
}

func newRunner() *runner {
	r := &runner{}
	r.cond.L = &r.mu
	return r
}

// gate is the Progress callback: it returns once pos bytes are within the budget (or the
// runner is halted).
func (r *runner) gate(pos int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for pos > r.budget && !r.halted {
		r.blocked, r.want = true, pos
		r.cond.Broadcast()
		r.cond.Wait()
	}
	r.blocked = false
}

// waitFor raises the budget to at least budget and waits until the writer has used it all
// (it is blocked wanting more) or has exited. It reports whether it exited and its error.
func (r *runner) waitFor(budget int64) (exited bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if budget > r.budget {
		r.budget = budget
		r.cond.Broadcast()
	}
	for !r.exited && !(r.blocked && r.want > r.budget) {
		r.cond.Wait()
	}
	return r.exited, r.err
}

// halt stops the writer and waits for it to exit.
func (r *runner) halt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.halted = true
	r.cond.Broadcast()
	for !r.exited {
		r.cond.Wait()
	}
}

// breakStore makes every further write of the writer fail, lets it run free and waits for it
// to exit: the store-fail fault, aimed at one task from a chosen byte, which a store-wide
// wrapper (osstest.Faulty, for tests) could not aim.
func (r *runner) breakStore() {
	r.mu.Lock()
	r.storeBroken = true
	r.mu.Unlock()
	r.waitFor(1<<63 - 1)
}

func (r *runner) exit(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exited, r.err = true, err
	r.cond.Broadcast()
}

// gatedWriter is an upload whose writes fail once the runner is halted or its store broken.
type gatedWriter struct {
	r *runner
	u io.Writer
}

func (w gatedWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	halted, broken := w.r.halted, w.r.storeBroken
	w.r.mu.Unlock()
	switch {
	case halted:
		return 0, errHalted
	case broken:
		return 0, errStoreFault
	}
	return w.u.Write(p)
}

// exportJob is what a writer goroutine needs; nothing in it changes after the task starts.
type exportJob struct {
	disks   []*disk
	uploads []oss.Upload
	format  diskimage.Format
	names   []string // file names inside the images (raw.tar.gz entry)
	ident   int64
}

// runExport is the writer goroutine of one task.
func runExport(r *runner, job exportJob) {
	var base int64
	var err error
	for i, d := range job.disks {
		b := base
		opt := diskimage.Options{
			Progress: func(done, _ int64) { r.gate(b + done) },
			Identity: job.ident + int64(i),
			Workers:  2,
			Name:     job.names[i],
		}
		if err = diskimage.Write(gatedWriter{r: r, u: job.uploads[i]}, d.src, job.format, opt); err != nil {
			break
		}
		base += d.data
		r.gate(base) // a writer that reported less than the whole disk still waits for the budget
	}
	r.exit(err)
}

// bytesIn is the budget of a task that has been Processing for d: speed × d, capped at total.
func bytesIn(d time.Duration, speed, total int64) int64 {
	if d <= 0 {
		return 0
	}
	sec := int64(d / time.Second)
	if sec > total/speed {
		return total
	}
	hi, lo := bits.Mul64(uint64(d%time.Second), uint64(speed))
	frac, _ := bits.Div64(hi, lo, uint64(time.Second))
	return min(sec*speed+int64(frac), total)
}

// durationFor is the shortest time in which bytesIn reaches n.
func durationFor(n, speed int64) time.Duration {
	sec, rem := n/speed, n%speed
	hi, lo := bits.Mul64(uint64(rem), uint64(time.Second))
	q, r := bits.Div64(hi, lo, uint64(speed))
	if r > 0 {
		q++
	}
	return time.Duration(sec)*time.Second + time.Duration(q)
}

// syncLocked brings every in-flight task up to the clock. It is the only place tasks move
// on their own.
func (s *Service) syncLocked() {
	if s.closed {
		return
	}
	now := s.clock.Now()
	for _, t := range slices.Clone(s.st.active) {
		s.advance(t, now)
	}
}

func (s *Service) advance(t *task, now time.Time) {
	if t.status == StatusWaiting {
		start := t.created.Add(WaitingTime)
		if now.Before(start) {
			return
		}
		if !s.start(t, start) {
			return
		}
	}
	speed := s.exportSpeed()
	allowed := bytesIn(now.Sub(t.started), speed, t.total)
	if t.fault != nil && allowed >= t.faultAt {
		if exited, err := t.run.waitFor(t.faultAt); exited && err != nil {
			s.fail(t, now, errcode.ExportImageFailed.Err())
			return
		}
		t.done = t.faultAt
		at := t.started.Add(durationFor(t.faultAt, speed))
		switch t.fault.Kind {
		case FaultRemoveRole:
			// The role is gone for good (until Reset): later exports fail check 9.
			delete(s.st.accounts[t.sc.account].roles, DefaultRoleName)
			s.fail(t, at, errcode.NoSetRole.Err())
		case FaultStoreFail:
			t.run.breakStore()
			s.fail(t, at, errcode.ExportImageFailed.Err())
		default:
			s.fail(t, at, errcode.ExportImageFailed.Err())
		}
		return
	}
	exited, err := t.run.waitFor(allowed)
	if exited && err != nil {
		s.fail(t, now, errcode.ExportImageFailed.Err())
		return
	}
	t.done = allowed
	if exited && allowed >= t.total {
		s.commit(t, t.started.Add(durationFor(t.total, speed)))
	}
}

// start moves a Waiting task to Processing at the given time: one upload per disk, and the
// writer. It reports false if the task failed instead.
func (s *Service) start(t *task, at time.Time) bool {
	t.started = at
	keys := t.objectKeys()
	uploads := make([]oss.Upload, 0, len(keys))
	for _, k := range keys {
		u, err := s.store.Create(context.Background(), t.bucket, k)
		if err != nil {
			for _, u := range uploads {
				_ = u.Abort() // best effort: the upload was never written
			}
			s.fail(t, at, errcode.ExportImageFailed.Err())
			return false
		}
		uploads = append(uploads, u)
	}
	t.uploads = uploads
	t.run = newRunner()
	s.setStatus(t, StatusProcessing)
	names := make([]string, len(keys))
	for i, d := range t.image.disks {
		names[i] = t.image.objectStem(d) + ".raw"
	}
	go runExport(t.run, exportJob{disks: t.image.disks, uploads: uploads, format: t.format, names: names, ident: int64(t.seq)})
	return true
}

// commit makes every object of a finished writer visible, or none: if a commit fails, the
// rest are aborted, the committed ones deleted, and the task fails.
func (s *Service) commit(t *task, at time.Time) {
	if now := s.clock.Now(); at.After(now) {
		at = now
	}
	for i, u := range t.uploads {
		if _, err := u.Commit(); err != nil {
			for _, rest := range t.uploads[i+1:] {
				_ = rest.Abort() // best effort: never visible either way
			}
			for _, k := range t.objectKeys()[:i] {
				_ = s.store.Delete(context.Background(), t.bucket, k) // best effort
			}
			t.uploads = nil
			s.fail(t, at, errcode.ExportImageFailed.Err())
			return
		}
	}
	t.uploads = nil
	t.done = t.total
	s.end(t, at, StatusFinished)
}

// fail ends a task as Failed with the error's code and message, leaving no object.
func (s *Service) fail(t *task, at time.Time, e *errcode.Error) {
	if t.run != nil {
		t.run.halt()
	}
	t.abortUploads()
	t.errCode, t.errMsg = e.Code.Wire, e.Message
	s.end(t, at, StatusFailed)
}

// end moves an in-flight task to a terminal state, freeing its concurrent slot.
func (s *Service) end(t *task, at time.Time, status string) {
	if at.Before(t.created) {
		at = t.created
	}
	t.finished = at
	t.run = nil
	s.setStatus(t, status)
	if i := slices.Index(s.st.active, t); i >= 0 {
		s.st.active = slices.Delete(s.st.active, i, i+1)
	}
	if s.st.exporting[t.image.spec.ID] == t {
		delete(s.st.exporting, t.image.spec.ID)
	}
}

// abortUploads aborts whatever uploads the task still holds (the writer must have exited).
func (t *task) abortUploads() {
	for _, u := range t.uploads {
		_ = u.Abort() // after Commit or a failed Write, Abort is safe; errors leave nothing visible
	}
	t.uploads = nil
}
