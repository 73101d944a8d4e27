package oss

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Dir is a Store on a directory, so exported images can be inspected with ordinary tools.
//
// Layout under root:
//
//	.tmp/                      uploads in progress, staged buckets, deleted buckets being
//	                           removed; emptied by NewDir (leftovers of a crash)
//	<bucket>/.bucket.json      {"name","region","owner","created"}; a bucket is a directory
//	                           holding it (created by renaming a complete staged directory)
//	<bucket>/.meta/<path>.json {"etag","size","mtime"} of the object at <bucket>/<path>
//	<bucket>/<path>            the object's bytes; its mtime is Object.Created
//
// Key encoding (see ObjectPath): a key keeps its readable name and only what a file name
// cannot hold, or would make ambiguous, becomes %XX (upper-case hex): '/', '\\', '%' itself,
// '+', '=', control bytes (below 0x20, 0x7F), and '.' as the key's first byte. On a file system
// that folds case (probed by NewDir), upper-case letters are escaped too, so that keys
// differing only in case stay distinct files. The result is one file name that never starts
// with '.', distinct from ".bucket.json", ".meta" and ".tmp": "EcsExport_m-1_system.vhd" is
// the file of that name, and "exports/a.raw" the file "exports%2Fa.raw" ('/' stays escaped
// because OSS keys "a" and "a/b" coexist, which a file and a directory of one name cannot). An
// escaped key longer than 200 bytes is cut into pieces of at most 200 bytes, never inside a
// UTF-8 character or a %XX escape: every piece but the last is a directory "+<piece>", the
// last is the file "=<piece>" ('+' and '=' are always escaped, so these never collide with
// short keys or with each other). Files in a bucket that this encoding does not produce are
// ignored.
//
// Visibility and durability: an upload is written to .tmp, fsynced, given its commit time as
// mtime, then renamed into place (metadata first, then content) and the directory is fsynced.
// Readers are open file descriptors, so on POSIX systems they stay valid snapshots when the
// object is replaced or removed. One Dir at a time may use a root; the Dir serialises its own
// renames and removals. If a crash separates the two renames, the metadata no longer matches
// the content's size and mtime and the ETag is recomputed from the content.
type Dir struct {
	root string
	tmp  string
	now  func() time.Time
	fold bool // the file system folds case: escape upper-case letters

	// mu is held for writing around every rename and removal in the tree, and for reading
	// while looking at it, so a reader never sees a half-made nested path or a bucket half
	// removed.
	mu sync.RWMutex
}

var _ Store = (*Dir)(nil)

const (
	bucketMetaFile = ".bucket.json"
	metaDir        = ".meta"
	tmpDir         = ".tmp"
	maxSegment     = 200
)

// NewDir returns a Store on root, creating root if needed, and removes temporaries left by a
// previous process. Buckets and objects committed before stay visible.
func NewDir(root string, opts ...Option) (*Dir, error) {
	o := buildOptions(opts)
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("oss: dir %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("oss: dir %s: %w", root, err)
	}
	tmp := filepath.Join(abs, tmpDir)
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("oss: removing stale temporaries: %w", err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("oss: dir %s: %w", root, err)
	}
	fold, err := foldsCase(tmp)
	if err != nil {
		return nil, fmt.Errorf("oss: dir %s: %w", root, err)
	}
	return &Dir{root: abs, tmp: tmp, now: o.now, fold: fold}, nil
}

// foldsCase reports whether the file system of dir treats names differing only in case as
// one name.
func foldsCase(dir string) (bool, error) {
	probe := filepath.Join(dir, "case-probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		return false, err
	}
	defer os.Remove(probe)
	_, err := os.Lstat(filepath.Join(dir, "CASE-PROBE"))
	return err == nil, nil
}

// FoldsCase reports whether the root's file system folds case (upper-case letters of keys
// are then escaped in file names).
func (d *Dir) FoldsCase() bool { return d.fold }

// Root returns the absolute root directory.
func (d *Dir) Root() string { return d.root }

// ObjectPath returns the file that holds (or would hold) bucket/key, always inside
// Root()/bucket, or an error wrapping ErrInvalidName. It does not say whether the object exists.
func (d *Dir) ObjectPath(bucket, key string) (string, error) {
	if err := checkNames(bucket, key); err != nil {
		return "", err
	}
	return filepath.Join(append([]string{d.root, bucket}, d.keySegments(key)...)...), nil
}

// Temporaries lists the files in .tmp: uploads in progress and leftovers not yet removed.
func (d *Dir) Temporaries() ([]string, error) {
	ents, err := os.ReadDir(d.tmp)
	if err != nil {
		return nil, fmt.Errorf("oss: temporaries: %w", err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, filepath.Join(tmpDir, e.Name()))
	}
	return out, nil
}

type bucketMeta struct {
	Name    string    `json:"name"`
	Region  string    `json:"region"`
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
}

type objectMeta struct {
	ETag  string `json:"etag"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"` // content file's mtime in Unix ns, to detect stale metadata
}

func (d *Dir) CreateBucket(ctx context.Context, b Bucket) error {
	if err := ctxErr(ctx, "create bucket"); err != nil {
		return err
	}
	if err := CheckBucketName(b.Name); err != nil {
		return err
	}
	if b.Created.IsZero() {
		b.Created = d.now().UTC()
	}
	stage, err := os.MkdirTemp(d.tmp, "bucket-")
	if err != nil {
		return fmt.Errorf("oss: create bucket %s: %w", b.Name, err)
	}
	defer os.RemoveAll(stage) // a no-op once renamed into place
	data, err := json.MarshalIndent(bucketMeta(b), "", "  ")
	if err != nil {
		return fmt.Errorf("oss: create bucket %s: %w", b.Name, err)
	}
	if err := writeFileSync(filepath.Join(stage, bucketMetaFile), data); err != nil {
		return fmt.Errorf("oss: create bucket %s: %w", b.Name, err)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	dst := filepath.Join(d.root, b.Name)
	if _, err := os.Lstat(dst); err == nil {
		if _, err := d.readBucket(b.Name); errors.Is(err, ErrNoSuchBucket) {
			return fmt.Errorf("oss: create bucket %s: %s exists and is not a bucket", b.Name, dst)
		}
		return fmt.Errorf("%w: %s", ErrBucketExists, b.Name)
	}
	if err := os.Rename(stage, dst); err != nil {
		return fmt.Errorf("oss: create bucket %s: %w", b.Name, err)
	}
	return syncDir(d.root)
}

func (d *Dir) Bucket(ctx context.Context, name string) (Bucket, error) {
	if err := ctxErr(ctx, "bucket"); err != nil {
		return Bucket{}, err
	}
	if err := CheckBucketName(name); err != nil {
		return Bucket{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.readBucket(name)
}

func (d *Dir) Buckets(ctx context.Context) ([]Bucket, error) {
	if err := ctxErr(ctx, "buckets"); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	ents, err := os.ReadDir(d.root)
	if err != nil {
		return nil, fmt.Errorf("oss: buckets: %w", err)
	}
	out := []Bucket{}
	for _, e := range ents {
		if !e.IsDir() || CheckBucketName(e.Name()) != nil {
			continue
		}
		b, err := d.readBucket(e.Name())
		if errors.Is(err, ErrNoSuchBucket) {
			continue // a directory that is not a bucket
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil // os.ReadDir sorts by name
}

func (d *Dir) DeleteBucket(ctx context.Context, name string) error {
	if err := ctxErr(ctx, "delete bucket"); err != nil {
		return err
	}
	if err := CheckBucketName(name); err != nil {
		return err
	}
	trash, err := os.MkdirTemp(d.tmp, "deleted-")
	if err != nil {
		return fmt.Errorf("oss: delete bucket %s: %w", name, err)
	}
	defer os.RemoveAll(trash)

	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.readBucket(name); err != nil {
		return err
	}
	// Renaming first makes the bucket vanish at once; the slow removal happens in .tmp.
	if err := os.Rename(filepath.Join(d.root, name), filepath.Join(trash, name)); err != nil {
		return fmt.Errorf("oss: delete bucket %s: %w", name, err)
	}
	return syncDir(d.root)
}

func (d *Dir) Create(ctx context.Context, bucket, key string) (Upload, error) {
	if err := ctxErr(ctx, "create"); err != nil {
		return nil, err
	}
	if err := checkNames(bucket, key); err != nil {
		return nil, err
	}
	d.mu.RLock()
	_, err := d.readBucket(bucket)
	d.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(d.tmp, "upload-")
	if err != nil {
		return nil, fmt.Errorf("oss: create %s/%s: %w", bucket, key, err)
	}
	return &dirUpload{uploadState: uploadState{ctx: ctx, bucket: bucket, key: key}, d: d, f: f, md5: md5.New()}, nil
}

func (d *Dir) Stat(ctx context.Context, bucket, key string) (Object, error) {
	if err := ctxErr(ctx, "stat"); err != nil {
		return Object{}, err
	}
	if err := checkNames(bucket, key); err != nil {
		return Object{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if _, err := d.readBucket(bucket); err != nil {
		return Object{}, err
	}
	return d.stat(bucket, key)
}

func (d *Dir) Open(ctx context.Context, bucket, key string) (Reader, error) {
	if err := ctxErr(ctx, "open"); err != nil {
		return nil, err
	}
	if err := checkNames(bucket, key); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if _, err := d.readBucket(bucket); err != nil {
		return nil, err
	}
	f, err := os.Open(d.dataPath(bucket, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	}
	if err != nil {
		return nil, fmt.Errorf("oss: open %s/%s: %w", bucket, key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("oss: open %s/%s: %w", bucket, key, err)
	}
	return &dirReader{File: f, size: fi.Size()}, nil
}

func (d *Dir) List(ctx context.Context, bucket, prefix string) ([]Object, error) {
	if err := ctxErr(ctx, "list"); err != nil {
		return nil, err
	}
	if err := CheckBucketName(bucket); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if _, err := d.readBucket(bucket); err != nil {
		return nil, err
	}
	var keys []string
	if err := d.walkKeys(ctx, filepath.Join(d.root, bucket), "", 0, func(key string) {
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}); err != nil {
		return nil, err
	}
	sort.Strings(keys)
	out := make([]Object, 0, len(keys))
	for _, k := range keys {
		if err := ctxErr(ctx, "list"); err != nil {
			return nil, err
		}
		o, err := d.stat(bucket, k)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (d *Dir) Delete(ctx context.Context, bucket, key string) error {
	if err := ctxErr(ctx, "delete"); err != nil {
		return err
	}
	if err := checkNames(bucket, key); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.readBucket(bucket); err != nil {
		return err
	}
	data := d.dataPath(bucket, key)
	if err := os.Remove(data); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	} else if err != nil {
		return fmt.Errorf("oss: delete %s/%s: %w", bucket, key, err)
	}
	meta := d.metaPath(bucket, key)
	if err := os.Remove(meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("oss: delete %s/%s: %w", bucket, key, err)
	}
	if err := syncDir(filepath.Dir(data)); err != nil {
		return err
	}
	d.pruneDirs(filepath.Dir(data), filepath.Join(d.root, bucket))
	d.pruneDirs(filepath.Dir(meta), filepath.Join(d.root, bucket, metaDir))
	return nil
}

// pruneDirs removes the now empty "+piece" directories of a long key, from dir up to stop.
func (d *Dir) pruneDirs(dir, stop string) {
	for dir != stop && strings.HasPrefix(filepath.Base(dir), "+") {
		if os.Remove(dir) != nil {
			return // not empty: another long key shares it
		}
		dir = filepath.Dir(dir)
	}
}

// readBucket needs d.mu held.
func (d *Dir) readBucket(name string) (Bucket, error) {
	data, err := os.ReadFile(filepath.Join(d.root, name, bucketMetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Bucket{}, fmt.Errorf("%w: %s", ErrNoSuchBucket, name)
	}
	if err != nil {
		return Bucket{}, fmt.Errorf("oss: bucket %s: %w", name, err)
	}
	var m bucketMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return Bucket{}, fmt.Errorf("oss: bucket %s: corrupt %s: %w", name, bucketMetaFile, err)
	}
	m.Name = name
	return Bucket(m), nil
}

// stat needs d.mu held.
func (d *Dir) stat(bucket, key string) (Object, error) {
	data := d.dataPath(bucket, key)
	fi, err := os.Stat(data)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.Mode().IsRegular() {
		return Object{}, fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	}
	if err != nil {
		return Object{}, fmt.Errorf("oss: stat %s/%s: %w", bucket, key, err)
	}
	o := Object{Bucket: bucket, Key: key, Size: fi.Size(), Created: fi.ModTime().UTC()}
	var m objectMeta
	if b, err := os.ReadFile(d.metaPath(bucket, key)); err == nil && json.Unmarshal(b, &m) == nil &&
		m.Size == fi.Size() && m.MTime == fi.ModTime().UnixNano() {
		o.ETag = m.ETag
		return o, nil
	}
	// Metadata missing or stale (a crash between the two renames of a commit): recompute.
	if o.ETag, err = fileMD5(data); err != nil {
		return Object{}, fmt.Errorf("oss: stat %s/%s: %w", bucket, key, err)
	}
	return o, nil
}

// walkKeys calls fn with the key of every object file under dir; enc is the escaped key so far.
func (d *Dir) walkKeys(ctx context.Context, dir, enc string, depth int, fn func(string)) error {
	if err := ctxErr(ctx, "list"); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("oss: list: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case e.IsDir() && strings.HasPrefix(name, "+") && len(name) <= maxSegment+1:
			if err := d.walkKeys(ctx, filepath.Join(dir, name), enc+name[1:], depth+1, fn); err != nil {
				return err
			}
		case e.Type().IsRegular():
			full := enc + name
			if depth > 0 {
				if !strings.HasPrefix(name, "=") {
					continue
				}
				full = enc + name[1:]
			}
			key, ok := unescapeKey(full)
			if !ok || CheckKey(key) != nil {
				continue
			}
			// Only canonical names are objects: anything else was put there by hand.
			segs := d.keySegments(key)
			if len(segs) != depth+1 || segs[depth] != name {
				continue
			}
			fn(key)
		}
	}
	return nil
}

func (d *Dir) dataPath(bucket, key string) string {
	return filepath.Join(append([]string{d.root, bucket}, d.keySegments(key)...)...)
}

func (d *Dir) metaPath(bucket, key string) string {
	return filepath.Join(append([]string{d.root, bucket, metaDir}, d.keySegments(key)...)...) + ".json"
}

// keySegments maps a valid key to the relative path of its file, as described on Dir.
func (d *Dir) keySegments(key string) []string {
	enc := escapeKey(key, d.fold)
	if len(enc) <= maxSegment {
		return []string{enc}
	}
	var segs []string
	for len(enc) > maxSegment {
		n := maxSegment
		for !utf8.RuneStart(enc[n]) || enc[n-1] == '%' || enc[n-2] == '%' {
			n-- // never cut a character or an escape in two
		}
		segs = append(segs, "+"+enc[:n])
		enc = enc[n:]
	}
	return append(segs, "="+enc)
}

// literal reports whether the byte c at index i of a key stays as it is in the file name.
func literal(c byte, i int, fold bool) bool {
	switch {
	case c < 0x20 || c == 0x7f, c == '/', c == '\\', c == '%', c == '+', c == '=', c == '.' && i == 0:
		return false
	case fold && c >= 'A' && c <= 'Z':
		return false
	}
	return true
}

func escapeKey(key string, fold bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		if literal(c, i, fold) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unescapeKey(enc string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(enc); i++ {
		if enc[i] != '%' {
			b.WriteByte(enc[i])
			continue
		}
		if i+2 >= len(enc) {
			return "", false
		}
		v, err := hex.DecodeString(enc[i+1 : i+3])
		if err != nil {
			return "", false
		}
		b.WriteByte(v[0])
		i += 2
	}
	return b.String(), true
}

type dirUpload struct {
	uploadState
	d    *Dir
	f    *os.File
	md5  hash.Hash
	size int64
}

func (u *dirUpload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.writable(); err != nil {
		return 0, err
	}
	n, err := u.f.Write(p)
	u.md5.Write(p[:n])
	u.size += int64(n)
	if err != nil {
		u.err = fmt.Errorf("oss: write %s/%s: %w", u.bucket, u.key, err)
		return n, u.err
	}
	return n, nil
}

func (u *dirUpload) Commit() (Object, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.end(); err != nil {
		return Object{}, err
	}
	o, err := u.commit()
	u.f.Close() // already closed on success; the error, if any, does not matter now
	os.Remove(u.f.Name())
	return o, err
}

func (u *dirUpload) commit() (Object, error) {
	if err := u.committable(); err != nil {
		return Object{}, err
	}
	wrap := func(err error) error { return fmt.Errorf("oss: commit %s/%s: %w", u.bucket, u.key, err) }
	if err := u.f.Sync(); err != nil {
		return Object{}, wrap(err)
	}
	if err := u.f.Close(); err != nil {
		return Object{}, wrap(err)
	}
	now := u.d.now()
	if err := os.Chtimes(u.f.Name(), now, now); err != nil {
		return Object{}, wrap(err)
	}
	fi, err := os.Stat(u.f.Name()) // the mtime as the file system keeps it
	if err != nil {
		return Object{}, wrap(err)
	}
	o := Object{Bucket: u.bucket, Key: u.key, Size: u.size, ETag: hex.EncodeToString(u.md5.Sum(nil)), Created: fi.ModTime().UTC()}
	metaJSON, err := json.Marshal(objectMeta{ETag: o.ETag, Size: o.Size, MTime: fi.ModTime().UnixNano()})
	if err != nil {
		return Object{}, wrap(err)
	}
	mf, err := os.CreateTemp(u.d.tmp, "meta-")
	if err != nil {
		return Object{}, wrap(err)
	}
	mf.Close()
	defer os.Remove(mf.Name()) // a no-op once renamed
	if err := writeFileSync(mf.Name(), metaJSON); err != nil {
		return Object{}, wrap(err)
	}

	d := u.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.readBucket(u.bucket); err != nil {
		return Object{}, err
	}
	data, meta := d.dataPath(u.bucket, u.key), d.metaPath(u.bucket, u.key)
	for _, dir := range []string{filepath.Dir(data), filepath.Dir(meta)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Object{}, wrap(err)
		}
	}
	if err := os.Rename(mf.Name(), meta); err != nil {
		return Object{}, wrap(err)
	}
	if err := os.Rename(u.f.Name(), data); err != nil {
		return Object{}, wrap(err)
	}
	if err := syncDir(filepath.Dir(data)); err != nil {
		return Object{}, wrap(err)
	}
	return o, nil
}

func (u *dirUpload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.end(); err != nil {
		return err
	}
	u.f.Close() // only the removal matters
	if err := os.Remove(u.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("oss: abort %s/%s: %w", u.bucket, u.key, err)
	}
	return nil
}

type dirReader struct {
	*os.File
	size int64
}

func (r *dirReader) Size() int64 { return r.size }

// OSFile is the open file, so a server can send it without copying (sendfile). It is
// private to this Reader: Seek and Read on it are safe; Close it through the Reader.
func (r *dirReader) OSFile() *os.File { return r.File }

func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("oss: sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("oss: sync %s: %w", dir, err)
	}
	return nil
}

func fileMD5(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
