package oss

import (
	"context"
	"errors"
	"io"
	"time"
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
//   - List returns objects with the prefix, sorted by key.
//   - Names: bucket names follow OSS rules (3–63 of a-z, 0-9, '-', not starting or ending with
//     '-'); keys are 1–1023 bytes of valid UTF-8, not starting with '/' or '\'.
//   - All methods are safe for concurrent use; ctx cancels long operations.
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
// return ErrAborted. Abort after a failed Write is always safe.
type Upload interface {
	io.Writer
	Commit() (Object, error)
	Abort() error
}

// Reader reads a committed object; it stays valid (a snapshot) if the object is replaced or
// deleted while open.
type Reader interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Size() int64
}
