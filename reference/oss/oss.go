package oss

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"
)

// Errors every Store returns (wrapped with %w where a detail helps).
var (
	ErrNoSuchBucket = errors.New("oss: no such bucket")
	ErrBucketExists = errors.New("oss: bucket already exists")
	ErrNoSuchKey    = errors.New("oss: no such object")
	ErrInvalidName  = errors.New("oss: invalid bucket or object name")
	ErrAborted      = errors.New("oss: upload already committed or aborted")
)

// Bucket is a bucket: its name (global within a Store), its region and its owner account.
type Bucket struct {
	Name    string
	Region  string
	Owner   string
	Created time.Time
}

// Object describes a committed object.
type Object struct {
	Bucket  string
	Key     string
	Size    int64
	ETag    string // hex MD5 of the content, as OSS gives for single-part uploads
	Created time.Time
}

// Store is the object store export tasks write into.
//
// Contract (checked for every implementation by osstest.Run):
//   - An object becomes visible (Stat, List, Open) only when its Upload is committed; until
//     then, and for ever after an Abort, nothing of it is visible and no temporary is left
//     (temporaries never appear in List).
//   - Committing over an existing key replaces it atomically.
//   - List returns objects with the prefix, sorted by key (byte order); Buckets returns the
//     buckets sorted by name.
//   - Names: bucket names follow OSS rules (3–63 of a-z, 0-9, '-', not starting or ending with
//     '-'); keys are 1–1023 bytes of valid UTF-8, not starting with '/' or '\'. Anything else
//     is ErrInvalidName (see CheckBucketName, CheckKey). Keys are opaque: "a/../b", ".." and
//     "a//b" are ordinary, distinct keys.
//   - Checks run in this order: ctx, names (ErrInvalidName), the bucket (ErrNoSuchBucket),
//     the key (ErrNoSuchKey), so the first failing one is reported.
//   - CreateBucket sets Created from the Store's clock when it is zero and keeps it otherwise;
//     Object.Created is the commit time, in UTC. ETag is lower-case hex.
//   - DeleteBucket of a missing bucket is ErrNoSuchBucket; Delete of a missing key is
//     ErrNoSuchKey.
//   - All methods are safe for concurrent use; a cancelled or expired ctx makes them fail with
//     an error wrapping ctx.Err(). The ctx given to Create governs the whole Upload.
type Store interface {
	CreateBucket(ctx context.Context, b Bucket) error
	Bucket(ctx context.Context, name string) (Bucket, error)
	Buckets(ctx context.Context) ([]Bucket, error)
	DeleteBucket(ctx context.Context, name string) error // removes the bucket and its objects

	// Create starts an upload of bucket/key.
	Create(ctx context.Context, bucket, key string) (Upload, error)
	Stat(ctx context.Context, bucket, key string) (Object, error)
	Open(ctx context.Context, bucket, key string) (Reader, error)
	List(ctx context.Context, bucket, prefix string) ([]Object, error)
	Delete(ctx context.Context, bucket, key string) error
}

// Upload is an object being written. Exactly one of Commit or Abort ends it; calls after that
// (Write included) return ErrAborted. Abort after a failed Write is always safe.
//
// Failure rules:
//   - A failed Write (an I/O error, an injected fault, or the Create ctx being done) leaves the
//     upload unusable: later Writes and Commit fail too, and nothing becomes visible.
//   - A Commit that fails still ends the upload: nothing of it is visible, nothing is left
//     behind, and a later Abort returns ErrAborted. Committing to a bucket deleted since Create
//     fails with ErrNoSuchBucket.
//   - Upload methods must not be called concurrently with each other.
type Upload interface {
	io.Writer
	Commit() (Object, error)
	Abort() error
}

// Reader reads a committed object; it stays valid (a snapshot) if the object is replaced or
// deleted while open, or its bucket is deleted. ReadAt follows io.ReaderAt (at or beyond Size
// it returns io.EOF) and may be called in parallel. Reads after Close fail.
type Reader interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Size() int64
}

// Option configures NewMemory and NewDir.
type Option func(*options)

type options struct {
	now func() time.Time
}

// WithClock makes the store take bucket and object creation times from now (for example a
// virtual clock's Now) instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Limits on names, as OSS documents them.
const (
	MinBucketName = 3
	MaxBucketName = 63
	MaxKey        = 1023
)

// CheckBucketName returns an error wrapping ErrInvalidName unless name is a valid OSS bucket
// name: 3–63 bytes of a-z, 0-9 and '-', neither starting nor ending with '-'.
func CheckBucketName(name string) error {
	if len(name) < MinBucketName || len(name) > MaxBucketName {
		return fmt.Errorf("%w: bucket name %q must be %d–%d characters", ErrInvalidName, name, MinBucketName, MaxBucketName)
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return fmt.Errorf("%w: bucket name %q must not start or end with '-'", ErrInvalidName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: bucket name %q may hold only a-z, 0-9 and '-'", ErrInvalidName, name)
		}
	}
	return nil
}

// CheckKey returns an error wrapping ErrInvalidName unless key is a valid object key: 1–1023
// bytes of valid UTF-8, not starting with '/' or '\'.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty object key", ErrInvalidName)
	case len(key) > MaxKey:
		return fmt.Errorf("%w: object key of %d bytes, more than %d", ErrInvalidName, len(key), MaxKey)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: object key %q is not valid UTF-8", ErrInvalidName, key)
	case key[0] == '/' || key[0] == '\\':
		return fmt.Errorf("%w: object key %q starts with %q", ErrInvalidName, key, key[0])
	}
	return nil
}

func checkNames(bucket, key string) error {
	if err := CheckBucketName(bucket); err != nil {
		return err
	}
	return CheckKey(key)
}

// uploadState is the lifecycle every store's Upload shares: a write fails once the upload is
// ended (ErrAborted) or its context is done, and a failure sticks; Commit and Abort end it once.
// The embedding upload holds mu while it calls these methods.
type uploadState struct {
	ctx         context.Context
	bucket, key string

	mu   sync.Mutex
	err  error // sticky failure of Write
	done bool
}

// writable is the check before each Write.
func (u *uploadState) writable() error {
	if u.done {
		return ErrAborted
	}
	if u.err == nil {
		u.err = ctxErr(u.ctx, "write "+u.bucket+"/"+u.key)
	}
	return u.err
}

// end marks the upload ended by Commit or Abort; ErrAborted when it already was.
func (u *uploadState) end() error {
	if u.done {
		return ErrAborted
	}
	u.done = true
	return nil
}

// committable is what Commit must refuse with: the sticky write failure or a done context.
func (u *uploadState) committable() error {
	if u.err != nil {
		return u.err
	}
	return ctxErr(u.ctx, "commit "+u.bucket+"/"+u.key)
}

func ctxErr(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("oss: %s: %w", op, err)
	}
	return nil
}
