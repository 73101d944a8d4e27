package oss

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is a Store holding everything in memory: the hermetic default. Committed content is
// never modified, so a Reader is a snapshot for free. The zero value is not usable; call
// NewMemory.
type Memory struct {
	now func() time.Time

	mu      sync.RWMutex
	buckets map[string]*memBucket
	live    map[*memUpload]struct{} // uploads neither committed nor aborted
}

type memBucket struct {
	info    Bucket
	objects map[string]*memObject
}

type memObject struct {
	info Object
	data []byte // immutable once committed
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory Store.
func NewMemory(opts ...Option) *Memory {
	o := buildOptions(opts)
	return &Memory{now: o.now, buckets: map[string]*memBucket{}, live: map[*memUpload]struct{}{}}
}

func (m *Memory) CreateBucket(ctx context.Context, b Bucket) error {
	if err := ctxErr(ctx, "create bucket"); err != nil {
		return err
	}
	if err := CheckBucketName(b.Name); err != nil {
		return err
	}
	if b.Created.IsZero() {
		b.Created = m.now().UTC()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.buckets[b.Name]; ok {
		return fmt.Errorf("%w: %s", ErrBucketExists, b.Name)
	}
	m.buckets[b.Name] = &memBucket{info: b, objects: map[string]*memObject{}}
	return nil
}

func (m *Memory) Bucket(ctx context.Context, name string) (Bucket, error) {
	if err := ctxErr(ctx, "bucket"); err != nil {
		return Bucket{}, err
	}
	if err := CheckBucketName(name); err != nil {
		return Bucket{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := m.bucket(name)
	if err != nil {
		return Bucket{}, err
	}
	return b.info, nil
}

func (m *Memory) Buckets(ctx context.Context) ([]Bucket, error) {
	if err := ctxErr(ctx, "buckets"); err != nil {
		return nil, err
	}
	m.mu.RLock()
	out := make([]Bucket, 0, len(m.buckets))
	for _, b := range m.buckets {
		out = append(out, b.info)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *Memory) DeleteBucket(ctx context.Context, name string) error {
	if err := ctxErr(ctx, "delete bucket"); err != nil {
		return err
	}
	if err := CheckBucketName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.bucket(name); err != nil {
		return err
	}
	delete(m.buckets, name)
	return nil
}

func (m *Memory) Create(ctx context.Context, bucket, key string) (Upload, error) {
	if err := ctxErr(ctx, "create"); err != nil {
		return nil, err
	}
	if err := checkNames(bucket, key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.bucket(bucket); err != nil {
		return nil, err
	}
	u := &memUpload{uploadState: uploadState{ctx: ctx, bucket: bucket, key: key}, m: m}
	m.live[u] = struct{}{}
	return u, nil
}

func (m *Memory) Stat(ctx context.Context, bucket, key string) (Object, error) {
	o, err := m.object(ctx, "stat", bucket, key)
	if err != nil {
		return Object{}, err
	}
	return o.info, nil
}

func (m *Memory) Open(ctx context.Context, bucket, key string) (Reader, error) {
	o, err := m.object(ctx, "open", bucket, key)
	if err != nil {
		return nil, err
	}
	return &memReader{r: bytes.NewReader(o.data)}, nil
}

func (m *Memory) List(ctx context.Context, bucket, prefix string) ([]Object, error) {
	if err := ctxErr(ctx, "list"); err != nil {
		return nil, err
	}
	if err := CheckBucketName(bucket); err != nil {
		return nil, err
	}
	m.mu.RLock()
	b, err := m.bucket(bucket)
	var out []Object
	if err == nil {
		for k, o := range b.objects {
			if strings.HasPrefix(k, prefix) {
				out = append(out, o.info)
			}
		}
	}
	m.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *Memory) Delete(ctx context.Context, bucket, key string) error {
	if err := ctxErr(ctx, "delete"); err != nil {
		return err
	}
	if err := checkNames(bucket, key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	if _, ok := b.objects[key]; !ok {
		return fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	}
	delete(b.objects, key)
	return nil
}

// Temporaries lists uploads that are neither committed nor aborted, as "bucket/key"; the
// contract suite uses it to check that every upload was ended.
func (m *Memory) Temporaries() ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for u := range m.live {
		out = append(out, u.bucket+"/"+u.key)
	}
	sort.Strings(out)
	return out, nil
}

// bucket needs m.mu held.
func (m *Memory) bucket(name string) (*memBucket, error) {
	b, ok := m.buckets[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchBucket, name)
	}
	return b, nil
}

func (m *Memory) object(ctx context.Context, op, bucket, key string) (*memObject, error) {
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	if err := checkNames(bucket, key); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	}
	return o, nil
}

type memUpload struct {
	uploadState
	m   *Memory
	buf bytes.Buffer
}

func (u *memUpload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.writable(); err != nil {
		return 0, err
	}
	return u.buf.Write(p)
}

func (u *memUpload) Commit() (Object, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.end(); err != nil {
		return Object{}, err
	}
	data := u.buf.Bytes()
	u.buf = bytes.Buffer{}
	err := u.committable()

	m := u.m
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.live, u)
	if err != nil {
		return Object{}, err
	}
	b, err := m.bucket(u.bucket)
	if err != nil {
		return Object{}, err
	}
	sum := md5.Sum(data)
	o := &memObject{
		info: Object{Bucket: u.bucket, Key: u.key, Size: int64(len(data)), ETag: hex.EncodeToString(sum[:]), Created: m.now().UTC()},
		data: data,
	}
	b.objects[u.key] = o
	return o.info, nil
}

func (u *memUpload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.end(); err != nil {
		return err
	}
	u.buf = bytes.Buffer{}
	u.m.mu.Lock()
	delete(u.m.live, u)
	u.m.mu.Unlock()
	return nil
}

var errReaderClosed = errors.New("oss: reader closed")

type memReader struct {
	r      *bytes.Reader
	closed atomic.Bool
}

func (r *memReader) Read(p []byte) (int, error) {
	if r.closed.Load() {
		return 0, errReaderClosed
	}
	return r.r.Read(p)
}

func (r *memReader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed.Load() {
		return 0, errReaderClosed
	}
	return r.r.ReadAt(p, off)
}

func (r *memReader) Size() int64 { return r.r.Size() }

func (r *memReader) Close() error {
	if r.closed.Swap(true) {
		return errReaderClosed
	}
	return nil
}

// ListPage lists at most limit objects of bucket with the prefix and a key after the
// marker after, sorted by key, without sorting the whole bucket: one pass keeping the
// limit smallest keys. It serves paged listings (the OSS endpoint's ListObjects) of large
// buckets; the checks and errors are List's.
func (m *Memory) ListPage(ctx context.Context, bucket, prefix, after string, limit int) ([]Object, error) {
	if err := ctxErr(ctx, "list"); err != nil {
		return nil, err
	}
	if err := CheckBucketName(bucket); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	// h is a max-heap on Key of the limit smallest keys seen so far.
	h := make(objectMaxHeap, 0, limit)
	for k, o := range b.objects {
		if k <= after || !strings.HasPrefix(k, prefix) {
			continue
		}
		if len(h) < limit {
			heap.Push(&h, o.info)
		} else if k < h[0].Key {
			h[0] = o.info
			heap.Fix(&h, 0)
		}
	}
	out := []Object(h)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

type objectMaxHeap []Object

func (h objectMaxHeap) Len() int           { return len(h) }
func (h objectMaxHeap) Less(i, j int) bool { return h[i].Key > h[j].Key }
func (h objectMaxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *objectMaxHeap) Push(x any)        { *h = append(*h, x.(Object)) }
func (h *objectMaxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
