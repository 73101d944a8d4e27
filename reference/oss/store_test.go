package oss_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/reference/oss/osstest"
)

func TestMemory(t *testing.T) {
	osstest.Run(t, func(t *testing.T) oss.Store { return oss.NewMemory() })
}

func TestDir(t *testing.T) {
	osstest.Run(t, func(t *testing.T) oss.Store { return newDir(t, t.TempDir()) })
}

func newDir(t testing.TB, root string, opts ...oss.Option) *oss.Dir {
	t.Helper()
	d, err := oss.NewDir(root, opts...)
	if err != nil {
		t.Fatalf("NewDir: %v", err)
	}
	return d
}

var ctx = context.Background()

func mkBucket(t testing.TB, s oss.Store, name string) {
	t.Helper()
	if err := s.CreateBucket(ctx, oss.Bucket{Name: name, Region: "cn-hangzhou", Owner: "demo"}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
}

func put(t testing.TB, s oss.Store, bucket, key, data string) oss.Object {
	t.Helper()
	u, err := s.Create(ctx, bucket, key)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := io.WriteString(u, data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	o, err := u.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return o
}

func read(t testing.TB, s oss.Store, bucket, key string) string {
	t.Helper()
	r, err := s.Open(ctx, bucket, key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return string(b)
}

func temporaries(t testing.TB, s interface{ Temporaries() ([]string, error) }) []string {
	t.Helper()
	tmp, err := s.Temporaries()
	if err != nil {
		t.Fatalf("Temporaries: %v", err)
	}
	return tmp
}

func TestWithClock(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 0, 123456789, time.UTC)
	for name, s := range map[string]oss.Store{
		"memory": oss.NewMemory(oss.WithClock(func() time.Time { return at })),
		"dir":    newDir(t, t.TempDir(), oss.WithClock(func() time.Time { return at })),
	} {
		t.Run(name, func(t *testing.T) {
			mkBucket(t, s, "clocked")
			b, _ := s.Bucket(ctx, "clocked")
			if !b.Created.Equal(at) {
				t.Errorf("bucket Created = %v, want %v", b.Created, at)
			}
			o := put(t, s, "clocked", "k", "v")
			if !o.Created.Equal(at) || o.Created.Location() != time.UTC {
				t.Errorf("object Created = %v, want %v in UTC", o.Created, at)
			}
		})
	}
}

func TestDir_Reopen(t *testing.T) {
	root := t.TempDir()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	d := newDir(t, root, oss.WithClock(func() time.Time { return at }))
	if err := d.CreateBucket(ctx, oss.Bucket{Name: "keep", Region: "ap-southeast-1", Owner: "other"}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	long := strings.Repeat("deep/", 150)
	want := map[string]oss.Object{}
	for _, k := range []string{"img_system.raw.tar.gz", long + "x", "..", "日本"} {
		want[k] = put(t, d, "keep", k, "content of "+k)
	}
	// An upload in progress when the "process" ends.
	u, err := d.Create(ctx, "keep", "unfinished")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	io.WriteString(u, "half")

	d2 := newDir(t, root)
	b, err := d2.Bucket(ctx, "keep")
	if err != nil {
		t.Fatalf("Bucket after reopen: %v", err)
	}
	if b.Region != "ap-southeast-1" || b.Owner != "other" || !b.Created.Equal(at) {
		t.Errorf("Bucket after reopen = %+v", b)
	}
	objs, err := d2.List(ctx, "keep", "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(objs) != len(want) {
		t.Errorf("List after reopen has %d objects, want %d", len(objs), len(want))
	}
	for _, o := range objs {
		w := want[o.Key]
		if o.Size != w.Size || o.ETag != w.ETag || !o.Created.Equal(w.Created) {
			t.Errorf("after reopen %q = %+v, want %+v", o.Key, o, w)
		}
		if got := read(t, d2, "keep", o.Key); got != "content of "+o.Key {
			t.Errorf("content of %q = %q", o.Key, got)
		}
	}
	if tmp := temporaries(t, d2); len(tmp) != 0 {
		t.Errorf("temporaries after reopen = %q, want none (stale ones removed)", tmp)
	}
	if _, err := u.Commit(); err == nil {
		t.Errorf("Commit of an upload whose temporary was removed succeeded")
	}
	if _, err := d2.Stat(ctx, "keep", "unfinished"); !errors.Is(err, oss.ErrNoSuchKey) {
		t.Errorf("Stat(unfinished) = %v, want ErrNoSuchKey", err)
	}
}

func TestDir_CrashLeftovers(t *testing.T) {
	root := t.TempDir()
	d := newDir(t, root)
	mkBucket(t, d, "b-crash")
	o := put(t, d, "b-crash", "k", "committed")
	// What a crash could leave: staged uploads and buckets in .tmp, a directory without
	// .bucket.json, a stray file in a bucket, stale metadata for a replaced object.
	for _, p := range []string{".tmp/upload-123", ".tmp/bucket-9/.bucket.json", ".tmp/deleted-1/x/y"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte("junk"), 0o644)
	}
	os.Mkdir(filepath.Join(root, "half-made"), 0o755)
	os.WriteFile(filepath.Join(root, "b-crash", "not%5Fcanonical"), []byte("junk"), 0o644) // "_" needs no escape
	path, err := d.ObjectPath("b-crash", "k")
	if err != nil {
		t.Fatalf("ObjectPath: %v", err)
	}
	os.WriteFile(path, []byte("replaced, metadata not yet"), 0o644)

	d2 := newDir(t, root)
	if tmp := temporaries(t, d2); len(tmp) != 0 {
		t.Errorf("temporaries = %q, want none", tmp)
	}
	bs, err := d2.Buckets(ctx)
	if err != nil || len(bs) != 1 || bs[0].Name != "b-crash" {
		t.Errorf("Buckets = %v, %v; want only b-crash", bs, err)
	}
	objs, err := d2.List(ctx, "b-crash", "")
	if err != nil || len(objs) != 1 || objs[0].Key != "k" {
		t.Fatalf("List = %+v, %v; want only k", objs, err)
	}
	sum := md5.Sum([]byte("replaced, metadata not yet"))
	if want := hex.EncodeToString(sum[:]); objs[0].ETag != want {
		t.Errorf("ETag after out-of-band replacement = %s, want %s recomputed (was %s)", objs[0].ETag, want, o.ETag)
	}
	if err := d2.CreateBucket(ctx, oss.Bucket{Name: "half-made"}); err == nil || errors.Is(err, oss.ErrBucketExists) {
		t.Errorf("CreateBucket over a non-bucket directory = %v, want a plain error", err)
	}
	if got := read(t, d2, "b-crash", "k"); got != "replaced, metadata not yet" {
		t.Errorf("content = %q", got)
	}
}

func TestDir_Layout(t *testing.T) {
	root := t.TempDir()
	d := newDir(t, root)
	mkBucket(t, d, "layout")
	put(t, d, "layout", "exports/m-eic_system.raw.tar.gz", "x")
	want := filepath.Join(root, "layout", "exports%2Fm-eic_system.raw.tar.gz")
	if got, _ := d.ObjectPath("layout", "exports/m-eic_system.raw.tar.gz"); got != want {
		t.Errorf("ObjectPath = %s, want %s", got, want)
	}
	if b, err := os.ReadFile(want); err != nil || string(b) != "x" {
		t.Errorf("object file = %q, %v", b, err)
	}
	// Readable names: only what a file name cannot hold is escaped.
	for key, file := range map[string]string{
		"EcsExport_m-eic_system.vhd": "EcsExport_m-eic_system.vhd",
		"名字 (1).raw":                 "名字 (1).raw",
		".hidden":                    "%2Ehidden",
		"a%b+c=d\\e\tf":              "a%25b%2Bc%3Dd%5Ce%09f",
	} {
		if d.FoldsCase() {
			break // upper-case letters are escaped there
		}
		if got, _ := d.ObjectPath("layout", key); got != filepath.Join(root, "layout", file) {
			t.Errorf("ObjectPath(%q) = %s, want %s", key, got, file)
		}
	}
	// A long key is cut into pieces at character and escape boundaries, and lists back whole.
	long := strings.Repeat("名%", 150) + strings.Repeat("x", 7)
	put(t, d, "layout", long, "y")
	checkInside(t, d, "layout", long)
	p, _ := d.ObjectPath("layout", long)
	rel, _ := filepath.Rel(filepath.Join(root, "layout"), p)
	for _, seg := range strings.Split(rel, string(filepath.Separator)) {
		if !utf8.ValidString(seg) || strings.HasSuffix(seg, "%") || strings.HasSuffix(seg, "%2") {
			t.Errorf("long key piece %q cuts a character or an escape", seg)
		}
	}
	if objs, err := d.List(context.Background(), "layout", "名"); err != nil || len(objs) != 1 || objs[0].Key != long {
		t.Errorf("List of the long key = %v, %v", objs, err)
	}
	var meta map[string]any
	b, err := os.ReadFile(filepath.Join(root, "layout", ".bucket.json"))
	if err != nil || json.Unmarshal(b, &meta) != nil || meta["region"] != "cn-hangzhou" {
		t.Errorf(".bucket.json = %s, %v", b, err)
	}
	if _, err := d.ObjectPath("layout", "/abs"); !errors.Is(err, oss.ErrInvalidName) {
		t.Errorf("ObjectPath(/abs) error = %v, want ErrInvalidName", err)
	}
	if _, err := d.ObjectPath("../x", "k"); !errors.Is(err, oss.ErrInvalidName) {
		t.Errorf("ObjectPath(../x) error = %v, want ErrInvalidName", err)
	}
}

// TestDir_PathEscape writes keys that would escape the root under a naive mapping and checks
// that every file created lies inside the bucket directory.
func TestDir_PathEscape(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	d := newDir(t, root)
	mkBucket(t, d, "esc")
	for _, key := range osstest.OddKeys {
		put(t, d, "esc", key, "x")
		checkInside(t, d, "esc", key)
	}
	checkOnlyRoot(t, parent)
}

func checkInside(t testing.TB, d *oss.Dir, bucket, key string) {
	t.Helper()
	p, err := d.ObjectPath(bucket, key)
	if err != nil {
		t.Fatalf("ObjectPath(%q): %v", key, err)
	}
	rel, err := filepath.Rel(filepath.Join(d.Root(), bucket), p)
	if err != nil || !filepath.IsLocal(rel) || strings.HasPrefix(filepath.Base(p), ".") {
		t.Errorf("ObjectPath(%q) = %s: not a plain file inside the bucket", key, p)
	}
	for _, seg := range strings.Split(rel, string(filepath.Separator)) {
		if len(seg) > 255 {
			t.Errorf("ObjectPath(%q) has a %d-byte segment", key, len(seg))
		}
	}
}

func checkOnlyRoot(t testing.TB, parent string) {
	t.Helper()
	ents, err := os.ReadDir(parent)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	if len(ents) != 1 || ents[0].Name() != "root" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the root: %q", names)
	}
}

func FuzzDirKey(f *testing.F) {
	for _, k := range []string{"a", "..", "a/../../b", "%2F", strings.Repeat("x/", 120)} {
		f.Add(k)
	}
	parent := f.TempDir()
	root := filepath.Join(parent, "root")
	d := newDir(f, root)
	mkBucket(f, d, "fuzz")
	f.Fuzz(func(t *testing.T, key string) {
		_, perr := d.ObjectPath("fuzz", key)
		u, err := d.Create(ctx, "fuzz", key)
		if oss.CheckKey(key) != nil {
			if !errors.Is(err, oss.ErrInvalidName) || !errors.Is(perr, oss.ErrInvalidName) {
				t.Fatalf("invalid key %q: Create error %v, ObjectPath error %v; want ErrInvalidName", key, err, perr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Create(%q): %v", key, err)
		}
		checkInside(t, d, "fuzz", key)
		u.Write([]byte(key))
		if _, err := u.Commit(); err != nil {
			t.Fatalf("Commit(%q): %v", key, err)
		}
		defer func() {
			if err := d.Delete(ctx, "fuzz", key); err != nil {
				t.Errorf("Delete(%q): %v", key, err)
			}
		}()
		objs, err := d.List(ctx, "fuzz", "")
		if err != nil || len(objs) != 1 || objs[0].Key != key {
			t.Fatalf("List = %+v, %v; want just %q", objs, err, key)
		}
		if got := read(t, d, "fuzz", key); got != key {
			t.Fatalf("content = %q, want %q", got, key)
		}
		checkOnlyRoot(t, parent)
	})
}

// TestDir_NoStrayFiles checks that after aborts and failed commits only buckets, their
// metadata and committed objects remain on disk.
func TestDir_NoStrayFiles(t *testing.T) {
	root := t.TempDir()
	d := newDir(t, root)
	mkBucket(t, d, "stray")
	put(t, d, "stray", "kept", "k")
	u, _ := d.Create(ctx, "stray", "aborted")
	io.WriteString(u, "data")
	u.Abort()
	long := strings.Repeat("l", 600)
	put(t, d, "stray", long, "l")
	if err := d.Delete(ctx, "stray", long); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	var files []string
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && p != root {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{".tmp", "stray", "stray/.bucket.json", "stray/.meta", "stray/.meta/kept.json", "stray/kept"}
	if !slices.Equal(files, want) {
		t.Errorf("files = %q, want %q", files, want)
	}
}

func TestCheckNames(t *testing.T) {
	if err := oss.CheckKey(string(bytes.Repeat([]byte("k"), oss.MaxKey))); err != nil {
		t.Errorf("CheckKey(1023 bytes) = %v", err)
	}
	if err := oss.CheckBucketName("Bad"); !errors.Is(err, oss.ErrInvalidName) || !strings.HasPrefix(err.Error(), "oss: invalid") {
		t.Errorf("CheckBucketName(Bad) = %v, want a wrapped ErrInvalidName", err)
	}
}
