package osstest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/exportimage/eic/reference/oss"
)

// ErrInjected is wrapped by every error a Faulty store injects.
var ErrInjected = errors.New("osstest: injected fault")

// Faulty wraps an oss.Store and fails chosen operations on demand, so that a test can see
// what its code does when the store fails. (The reference's "store-fail" fault does not use
// it: it breaks one task's writes at a chosen byte, see ecs.FaultStoreFail.) With nothing
// armed it behaves exactly like the Store it wraps. Faults are armed for a number of future
// operations and consumed as they fire:
//
//   - FailUploadsAfter(n, count): each of the next count uploads (counted at Create) accepts n
//     bytes, then its Write fails; an upload that never exceeds n bytes is not failed.
//   - FailCreates(count): the next count Create calls fail.
//   - FailCommits(count): the next count Commit calls fail.
//
// A failed upload leaves nothing behind: the wrapper aborts the inner upload as the fault
// fires, later Writes and Commit return the same error, and Abort returns nil. All methods are
// safe for concurrent use.
type Faulty struct {
	inner oss.Store

	mu            sync.Mutex
	uploadLimit   int64
	uploadsToFail int
	createsToFail int
	commitsToFail int
	fired         int
}

var _ oss.Store = (*Faulty)(nil)

// NewFaulty wraps s with no fault armed.
func NewFaulty(s oss.Store) *Faulty { return &Faulty{inner: s} }

// Unwrap returns the wrapped Store.
func (f *Faulty) Unwrap() oss.Store { return f.inner }

// FailUploadsAfter arms the next count uploads to fail once n bytes have been written.
func (f *Faulty) FailUploadsAfter(n int64, count int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploadLimit, f.uploadsToFail = max(n, 0), max(count, 0)
}

// FailCreates arms the next count Create calls to fail.
func (f *Faulty) FailCreates(count int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.createsToFail = max(count, 0)
}

// FailCommits arms the next count Commit calls to fail.
func (f *Faulty) FailCommits(count int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commitsToFail = max(count, 0)
}

// Reset disarms every fault; uploads already armed at Create keep their limit.
func (f *Faulty) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploadsToFail, f.createsToFail, f.commitsToFail = 0, 0, 0
}

// Fired returns how many faults have been injected so far.
func (f *Faulty) Fired() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// take consumes one armed fault from *counter, reporting whether it fired.
func (f *Faulty) take(counter *int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *counter == 0 {
		return false
	}
	*counter--
	f.fired++
	return true
}

// Temporaries forwards to the wrapped oss.Store when it can list its temporaries.
func (f *Faulty) Temporaries() ([]string, error) {
	if t, ok := f.inner.(interface{ Temporaries() ([]string, error) }); ok {
		return t.Temporaries()
	}
	return nil, nil
}

func (f *Faulty) CreateBucket(ctx context.Context, b oss.Bucket) error {
	return f.inner.CreateBucket(ctx, b)
}

func (f *Faulty) Bucket(ctx context.Context, name string) (oss.Bucket, error) {
	return f.inner.Bucket(ctx, name)
}

func (f *Faulty) Buckets(ctx context.Context) ([]oss.Bucket, error) { return f.inner.Buckets(ctx) }

func (f *Faulty) DeleteBucket(ctx context.Context, name string) error {
	return f.inner.DeleteBucket(ctx, name)
}

func (f *Faulty) Create(ctx context.Context, bucket, key string) (oss.Upload, error) {
	if f.take(&f.createsToFail) {
		return nil, fmt.Errorf("%w: create %s/%s", ErrInjected, bucket, key)
	}
	u, err := f.inner.Create(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	fu := &faultyUpload{f: f, inner: u, bucket: bucket, key: key, limit: -1}
	f.mu.Lock()
	if f.uploadsToFail > 0 {
		f.uploadsToFail--
		fu.limit = f.uploadLimit
	}
	f.mu.Unlock()
	return fu, nil
}

func (f *Faulty) Stat(ctx context.Context, bucket, key string) (oss.Object, error) {
	return f.inner.Stat(ctx, bucket, key)
}

func (f *Faulty) Open(ctx context.Context, bucket, key string) (oss.Reader, error) {
	return f.inner.Open(ctx, bucket, key)
}

func (f *Faulty) List(ctx context.Context, bucket, prefix string) ([]oss.Object, error) {
	return f.inner.List(ctx, bucket, prefix)
}

func (f *Faulty) Delete(ctx context.Context, bucket, key string) error {
	return f.inner.Delete(ctx, bucket, key)
}

type faultyUpload struct {
	f           *Faulty
	inner       oss.Upload
	bucket, key string

	mu      sync.Mutex
	limit   int64 // bytes accepted before the fault; -1 for none
	written int64
	failed  error // the injected fault, once fired; the inner upload is then aborted
	done    bool
}

func (u *faultyUpload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0, oss.ErrAborted
	}
	if u.failed != nil {
		return 0, u.failed
	}
	if u.limit < 0 || u.written+int64(len(p)) <= u.limit {
		n, err := u.inner.Write(p)
		u.written += int64(n)
		return n, err
	}
	n, err := u.inner.Write(p[:u.limit-u.written])
	u.written += int64(n)
	if err != nil {
		return n, err
	}
	u.f.mu.Lock()
	u.f.fired++
	u.f.mu.Unlock()
	u.failed = fmt.Errorf("%w: upload of %s/%s failed after %d bytes", ErrInjected, u.bucket, u.key, u.written)
	u.inner.Abort() // the fault is what the caller must see; the inner upload is gone either way
	return n, u.failed
}

func (u *faultyUpload) Commit() (oss.Object, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return oss.Object{}, oss.ErrAborted
	}
	u.done = true
	if u.failed != nil {
		return oss.Object{}, u.failed
	}
	if u.f.take(&u.f.commitsToFail) {
		u.inner.Abort() // as above: report the fault, leave nothing behind
		return oss.Object{}, fmt.Errorf("%w: commit %s/%s", ErrInjected, u.bucket, u.key)
	}
	return u.inner.Commit()
}

func (u *faultyUpload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return oss.ErrAborted
	}
	u.done = true
	if u.failed != nil {
		return nil
	}
	return u.inner.Abort()
}
