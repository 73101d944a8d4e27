// Package osstest is test support for oss.Store. Run checks that a Store keeps the contract
// documented on oss.Store, Upload and Reader, in the spirit of testing/fstest: one reusable
// suite, run against every implementation. Faulty wraps a Store to fail chosen operations, in
// the spirit of testing/iotest. It imports testing: production code never uses it.
package osstest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/exportimage/eic/reference/oss"
)

// TemporaryLister is implemented by stores that can list what uploads in progress, or left
// behind, hold (files, buffers). When the Store under test implements it, every subtest checks
// at its end that nothing is listed: each upload the suite starts is committed or aborted.
type TemporaryLister interface {
	Temporaries() ([]string, error)
}

// Run runs the contract suite as subtests of t. newStore is called once per subtest and must
// return an empty Store.
//
// The subtests check: bucket create/get/list/duplicate/delete; invalid bucket names and keys
// rejected with oss.ErrInvalidName by every method; odd but valid keys ("..", "a/../b",
// unicode, 1023 bytes) round-trip; operations on a missing bucket (oss.ErrNoSuchBucket) and
// key (oss.ErrNoSuchKey); nothing visible before Commit; Abort leaves nothing; Commit, Abort and
// Write after the end return oss.ErrAborted; commit replaces atomically; a Reader is a snapshot;
// ReadAt at or beyond the size returns io.EOF; List is sorted and filtered by prefix;
// DeleteBucket removes the objects and fails uploads in progress; a cancelled context fails
// every method and an upload; and many goroutines uploading, listing and deleting leave a
// consistent store.
func Run(t *testing.T, newStore func(t *testing.T) oss.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s oss.Store)
	}{
		{"Buckets", testBuckets},
		{"BucketNames", testBucketNames},
		{"InvalidKeys", testInvalidKeys},
		{"OddKeys", testOddKeys},
		{"MissingBucket", testMissingBucket},
		{"MissingKey", testMissingKey},
		{"VisibleOnlyAfterCommit", testVisibleOnlyAfterCommit},
		{"EmptyObject", testEmptyObject},
		{"Abort", testAbort},
		{"EndedUpload", testEndedUpload},
		{"Replace", testReplace},
		{"ReaderSnapshot", testReaderSnapshot},
		{"ReadAt", testReadAt},
		{"ReaderClose", testReaderClose},
		{"List", testList},
		{"Delete", testDelete},
		{"DeleteBucket", testDeleteBucket},
		{"Context", testContext},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			tt.fn(t, s)
			checkNoTemporaries(t, s)
		})
	}
}

const bucket = "osstest-bucket"

func checkNoTemporaries(t *testing.T, s oss.Store) {
	t.Helper()
	tl, ok := s.(TemporaryLister)
	if !ok {
		return
	}
	tmp, err := tl.Temporaries()
	if err != nil {
		t.Errorf("Temporaries: %v", err)
	}
	if len(tmp) > 0 {
		t.Errorf("Temporaries = %q, want none", tmp)
	}
}

func mkBucket(t *testing.T, s oss.Store, name string) {
	t.Helper()
	if err := s.CreateBucket(context.Background(), oss.Bucket{Name: name, Region: "cn-hangzhou", Owner: "1000000000000001"}); err != nil {
		t.Fatalf("CreateBucket(%q): %v", name, err)
	}
}

func etag(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// put uploads data to bucket/key and checks what Commit reports.
func put(t *testing.T, s oss.Store, bucket, key string, data []byte) oss.Object {
	t.Helper()
	u, err := s.Create(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("Create(%q, %q): %v", bucket, key, err)
	}
	if n, err := u.Write(data); err != nil || n != len(data) {
		u.Abort()
		t.Fatalf("Write(%d bytes) = %d, %v", len(data), n, err)
	}
	o, err := u.Commit()
	if err != nil {
		t.Fatalf("Commit %s/%s: %v", bucket, key, err)
	}
	checkObject(t, "Commit", o, bucket, key, data)
	return o
}

func checkObject(t *testing.T, what string, o oss.Object, bucket, key string, data []byte) {
	t.Helper()
	if o.Bucket != bucket || o.Key != key || o.Size != int64(len(data)) || o.ETag != etag(data) {
		t.Errorf("%s = {Bucket:%q Key:%q Size:%d ETag:%s}, want {%q %q %d %s}",
			what, o.Bucket, o.Key, o.Size, o.ETag, bucket, key, len(data), etag(data))
	}
	if o.Created.IsZero() {
		t.Errorf("%s %s/%s: Created is zero", what, bucket, key)
	}
}

func sameObject(a, b oss.Object) bool {
	return a.Bucket == b.Bucket && a.Key == b.Key && a.Size == b.Size && a.ETag == b.ETag && a.Created.Equal(b.Created)
}

// readObject returns the content of bucket/key through Open, checking Size.
func readObject(t *testing.T, s oss.Store, bucket, key string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("Open(%q, %q): %v", bucket, key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", bucket, key, err)
	}
	if r.Size() != int64(len(data)) {
		t.Errorf("Size() = %d, read %d bytes", r.Size(), len(data))
	}
	return data
}

func keys(objs []oss.Object) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func listKeys(t *testing.T, s oss.Store, bucket, prefix string) []string {
	t.Helper()
	objs, err := s.List(context.Background(), bucket, prefix)
	if err != nil {
		t.Fatalf("List(%q, %q): %v", bucket, prefix, err)
	}
	return keys(objs)
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

// checkAbsent checks that bucket/key is invisible to Stat, Open and List.
func checkAbsent(t *testing.T, s oss.Store, bucket, key string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Stat(ctx, bucket, key)
	wantErr(t, "Stat "+key, err, oss.ErrNoSuchKey)
	r, err := s.Open(ctx, bucket, key)
	if err == nil {
		r.Close()
	}
	wantErr(t, "Open "+key, err, oss.ErrNoSuchKey)
	if ks := listKeys(t, s, bucket, ""); slices.Contains(ks, key) {
		t.Errorf("List = %q, want no %q", ks, key)
	}
}

func testBuckets(t *testing.T, s oss.Store) {
	ctx := context.Background()
	if bs, err := s.Buckets(ctx); err != nil || len(bs) != 0 {
		t.Errorf("Buckets of a new store = %v, %v; want none", bs, err)
	}
	b1 := oss.Bucket{Name: "zeta-1", Region: "cn-hangzhou", Owner: "1000000000000001"}
	if err := s.CreateBucket(ctx, b1); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	got, err := s.Bucket(ctx, "zeta-1")
	if err != nil {
		t.Fatalf("Bucket: %v", err)
	}
	if got.Name != b1.Name || got.Region != b1.Region || got.Owner != b1.Owner || got.Created.IsZero() {
		t.Errorf("Bucket = %+v, want %+v with Created set", got, b1)
	}
	created := got.Created.Add(-3600e9).UTC()
	b2 := oss.Bucket{Name: "alpha", Region: "ap-southeast-1", Owner: "1000000000000002", Created: created}
	if err := s.CreateBucket(ctx, b2); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if got, _ := s.Bucket(ctx, "alpha"); !got.Created.Equal(created) || got.Region != b2.Region || got.Owner != b2.Owner {
		t.Errorf("Bucket = %+v, want %+v (explicit Created kept)", got, b2)
	}
	err = s.CreateBucket(ctx, oss.Bucket{Name: "alpha", Region: "cn-beijing"})
	wantErr(t, "CreateBucket duplicate", err, oss.ErrBucketExists)
	if got, _ := s.Bucket(ctx, "alpha"); got.Region != b2.Region {
		t.Errorf("duplicate CreateBucket changed the region to %q", got.Region)
	}
	bs, err := s.Buckets(ctx)
	if err != nil {
		t.Fatalf("Buckets: %v", err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
	}
	if want := []string{"alpha", "zeta-1"}; !slices.Equal(names, want) {
		t.Errorf("Buckets = %q, want %q", names, want)
	}
	if err := s.DeleteBucket(ctx, "alpha"); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err = s.Bucket(ctx, "alpha")
	wantErr(t, "Bucket after delete", err, oss.ErrNoSuchBucket)
	wantErr(t, "DeleteBucket twice", s.DeleteBucket(ctx, "alpha"), oss.ErrNoSuchBucket)
	if bs, _ := s.Buckets(ctx); len(bs) != 1 || bs[0].Name != "zeta-1" {
		t.Errorf("Buckets after delete = %v, want zeta-1 only", bs)
	}
	if err := s.CreateBucket(ctx, oss.Bucket{Name: "alpha"}); err != nil {
		t.Errorf("CreateBucket after delete: %v", err)
	}
}

var (
	badBuckets  = []string{"", "ab", strings.Repeat("a", 64), "Abc", "a_b", "a.b", "ab c", "-abc", "abc-", "abc/def", "..", "日本語バケット", "abc\x00"}
	goodBuckets = []string{"abc", strings.Repeat("z", 63), "a-b", "0ab", "a--b", "123"}
	badKeys     = []string{"", strings.Repeat("k", 1024), "/abc", "\\abc", "\xff", "a\xc3", "ok/\xed\xa0\x80"}
)

func testBucketNames(t *testing.T, s oss.Store) {
	ctx := context.Background()
	for _, name := range badBuckets {
		wantErr(t, fmt.Sprintf("CreateBucket(%q)", name), s.CreateBucket(ctx, oss.Bucket{Name: name}), oss.ErrInvalidName)
		_, err := s.Bucket(ctx, name)
		wantErr(t, fmt.Sprintf("Bucket(%q)", name), err, oss.ErrInvalidName)
		wantErr(t, fmt.Sprintf("DeleteBucket(%q)", name), s.DeleteBucket(ctx, name), oss.ErrInvalidName)
		_, err = s.Create(ctx, name, "k")
		wantErr(t, fmt.Sprintf("Create(%q)", name), err, oss.ErrInvalidName)
		_, err = s.Stat(ctx, name, "k")
		wantErr(t, fmt.Sprintf("Stat(%q)", name), err, oss.ErrInvalidName)
		_, err = s.Open(ctx, name, "k")
		wantErr(t, fmt.Sprintf("Open(%q)", name), err, oss.ErrInvalidName)
		_, err = s.List(ctx, name, "")
		wantErr(t, fmt.Sprintf("List(%q)", name), err, oss.ErrInvalidName)
		wantErr(t, fmt.Sprintf("Delete(%q)", name), s.Delete(ctx, name, "k"), oss.ErrInvalidName)
	}
	if bs, _ := s.Buckets(ctx); len(bs) != 0 {
		t.Errorf("Buckets after invalid creates = %v, want none", bs)
	}
	for _, name := range goodBuckets {
		if err := s.CreateBucket(ctx, oss.Bucket{Name: name}); err != nil {
			t.Errorf("CreateBucket(%q): %v", name, err)
		}
	}
}

func testInvalidKeys(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	for _, key := range badKeys {
		u, err := s.Create(ctx, bucket, key)
		if err == nil {
			u.Abort()
		}
		wantErr(t, fmt.Sprintf("Create(%.20q)", key), err, oss.ErrInvalidName)
		_, err = s.Stat(ctx, bucket, key)
		wantErr(t, fmt.Sprintf("Stat(%.20q)", key), err, oss.ErrInvalidName)
		_, err = s.Open(ctx, bucket, key)
		wantErr(t, fmt.Sprintf("Open(%.20q)", key), err, oss.ErrInvalidName)
		wantErr(t, fmt.Sprintf("Delete(%.20q)", key), s.Delete(ctx, bucket, key), oss.ErrInvalidName)
	}
	// The name check comes before the bucket check.
	_, err := s.Create(ctx, "missing-bucket", "")
	wantErr(t, "Create(missing bucket, empty key)", err, oss.ErrInvalidName)
	if ks := listKeys(t, s, bucket, ""); len(ks) != 0 {
		t.Errorf("List after invalid keys = %q, want none", ks)
	}
}

// OddKeys are valid keys that a careless file mapping would get wrong.
var OddKeys = []string{
	"a", "A", "..", ".", "...", "../../../../etc/passwd", "a/../b", "a/./b", "a//b", "a/", "dir/file",
	".bucket.json", ".tmp", ".meta", ".uploads", "%2F", "a%", "a%zz", "+", "=x", "~", "a b", "a\\b",
	"a\x00b", "\t", "日本/語.raw", "\u00e9", "e\u0301", "CON", "nul.txt",
	strings.Repeat("k", 1023), strings.Repeat("é", 511) + "x", strings.Repeat("../", 341),
	strings.Repeat("a", 199), strings.Repeat("a", 200), strings.Repeat("a", 201), strings.Repeat("a", 400), strings.Repeat("a", 401),
	"x" + strings.Repeat("/", 65),
}

func testOddKeys(t *testing.T, s oss.Store) {
	mkBucket(t, s, bucket)
	for i, key := range OddKeys {
		put(t, s, bucket, key, []byte(fmt.Sprintf("content %d", i)))
	}
	want := slices.Clone(OddKeys)
	sort.Strings(want)
	if got := listKeys(t, s, bucket, ""); !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	for i, key := range OddKeys {
		if got, want := string(readObject(t, s, bucket, key)), fmt.Sprintf("content %d", i); got != want {
			t.Errorf("content of %.30q = %q, want %q", key, got, want)
		}
		o, err := s.Stat(context.Background(), bucket, key)
		if err != nil {
			t.Errorf("Stat(%.30q): %v", key, err)
			continue
		}
		checkObject(t, "Stat", o, bucket, key, []byte(fmt.Sprintf("content %d", i)))
	}
	for _, key := range OddKeys {
		if err := s.Delete(context.Background(), bucket, key); err != nil {
			t.Errorf("Delete(%.30q): %v", key, err)
		}
	}
	if got := listKeys(t, s, bucket, ""); len(got) != 0 {
		t.Errorf("List after deleting all = %q, want none", got)
	}
}

func testMissingBucket(t *testing.T, s oss.Store) {
	ctx := context.Background()
	const missing = "no-such-bucket"
	_, err := s.Bucket(ctx, missing)
	wantErr(t, "Bucket", err, oss.ErrNoSuchBucket)
	wantErr(t, "DeleteBucket", s.DeleteBucket(ctx, missing), oss.ErrNoSuchBucket)
	_, err = s.Create(ctx, missing, "k")
	wantErr(t, "Create", err, oss.ErrNoSuchBucket)
	_, err = s.Stat(ctx, missing, "k")
	wantErr(t, "Stat", err, oss.ErrNoSuchBucket)
	_, err = s.Open(ctx, missing, "k")
	wantErr(t, "Open", err, oss.ErrNoSuchBucket)
	_, err = s.List(ctx, missing, "")
	wantErr(t, "List", err, oss.ErrNoSuchBucket)
	wantErr(t, "Delete", s.Delete(ctx, missing, "k"), oss.ErrNoSuchBucket)
}

func testMissingKey(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	put(t, s, bucket, "present", []byte("x"))
	for _, key := range []string{"missing", "presen", "present/", "Present"} {
		_, err := s.Stat(ctx, bucket, key)
		wantErr(t, "Stat "+key, err, oss.ErrNoSuchKey)
		_, err = s.Open(ctx, bucket, key)
		wantErr(t, "Open "+key, err, oss.ErrNoSuchKey)
		wantErr(t, "Delete "+key, s.Delete(ctx, bucket, key), oss.ErrNoSuchKey)
	}
}

func testVisibleOnlyAfterCommit(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	u, err := s.Create(ctx, bucket, "img/system.raw")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	checkAbsent(t, s, bucket, "img/system.raw")
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for i := 0; i < len(data); i += 1000 {
		if _, err := u.Write(data[i:min(i+1000, len(data))]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if i == 20000 {
			checkAbsent(t, s, bucket, "img/system.raw")
		}
	}
	checkAbsent(t, s, bucket, "img/system.raw")
	o, err := u.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	checkObject(t, "Commit", o, bucket, "img/system.raw", data)
	st, err := s.Stat(ctx, bucket, "img/system.raw")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if !sameObject(st, o) {
		t.Errorf("Stat = %+v, want %+v as Commit said", st, o)
	}
	objs, err := s.List(ctx, bucket, "")
	if err != nil || len(objs) != 1 || !sameObject(objs[0], o) {
		t.Errorf("List = %+v, %v; want [%+v]", objs, err, o)
	}
	if got := readObject(t, s, bucket, "img/system.raw"); !bytes.Equal(got, data) {
		t.Errorf("content differs from what was written (%d bytes, want %d)", len(got), len(data))
	}
}

func testEmptyObject(t *testing.T, s oss.Store) {
	mkBucket(t, s, bucket)
	u, err := s.Create(context.Background(), bucket, "empty")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	o, err := u.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	checkObject(t, "Commit", o, bucket, "empty", nil)
	if got := readObject(t, s, bucket, "empty"); len(got) != 0 {
		t.Errorf("content = %q, want empty", got)
	}
}

func testAbort(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	u, err := s.Create(ctx, bucket, "aborted")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	u.Write([]byte("partial"))
	if err := u.Abort(); err != nil {
		t.Errorf("Abort: %v", err)
	}
	checkAbsent(t, s, bucket, "aborted")
	checkNoTemporaries(t, s)

	// Aborting a replacement keeps the committed object.
	old := put(t, s, bucket, "kept", []byte("old"))
	u, err = s.Create(ctx, bucket, "kept")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	u.Write([]byte("new content"))
	if err := u.Abort(); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if st, err := s.Stat(ctx, bucket, "kept"); err != nil || !sameObject(st, old) {
		t.Errorf("Stat after aborted replacement = %+v, %v; want %+v", st, err, old)
	}
	if got := readObject(t, s, bucket, "kept"); string(got) != "old" {
		t.Errorf("content after aborted replacement = %q, want %q", got, "old")
	}
}

func testEndedUpload(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	u, err := s.Create(ctx, bucket, "committed")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	u.Write([]byte("data"))
	o, err := u.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	_, err = u.Commit()
	wantErr(t, "Commit after Commit", err, oss.ErrAborted)
	wantErr(t, "Abort after Commit", u.Abort(), oss.ErrAborted)
	_, err = u.Write([]byte("more"))
	wantErr(t, "Write after Commit", err, oss.ErrAborted)
	if st, err := s.Stat(ctx, bucket, "committed"); err != nil || !sameObject(st, o) {
		t.Errorf("Stat = %+v, %v; want %+v unchanged by calls after Commit", st, err, o)
	}

	u, err = s.Create(ctx, bucket, "aborted")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := u.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	wantErr(t, "Abort after Abort", u.Abort(), oss.ErrAborted)
	_, err = u.Commit()
	wantErr(t, "Commit after Abort", err, oss.ErrAborted)
	_, err = u.Write([]byte("more"))
	wantErr(t, "Write after Abort", err, oss.ErrAborted)
	checkAbsent(t, s, bucket, "aborted")
}

func testReplace(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	put(t, s, bucket, "obj", []byte("version one"))
	u, err := s.Create(ctx, bucket, "obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	u.Write([]byte("version two, longer"))
	if got := readObject(t, s, bucket, "obj"); string(got) != "version one" {
		t.Errorf("content during replacement = %q, want %q", got, "version one")
	}
	o, err := u.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	checkObject(t, "Commit", o, bucket, "obj", []byte("version two, longer"))
	if got := readObject(t, s, bucket, "obj"); string(got) != "version two, longer" {
		t.Errorf("content after replacement = %q, want %q", got, "version two, longer")
	}
	if st, err := s.Stat(ctx, bucket, "obj"); err != nil || !sameObject(st, o) {
		t.Errorf("Stat = %+v, %v; want %+v", st, err, o)
	}
	if ks := listKeys(t, s, bucket, ""); !slices.Equal(ks, []string{"obj"}) {
		t.Errorf("List = %q, want [obj]", ks)
	}
	put(t, s, bucket, "obj", []byte("3"))
	if got := readObject(t, s, bucket, "obj"); string(got) != "3" {
		t.Errorf("content after shorter replacement = %q, want %q", got, "3")
	}
}

func testReaderSnapshot(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	orig := bytes.Repeat([]byte("original "), 1000)
	put(t, s, bucket, "snap", orig)
	readers := make([]oss.Reader, 3)
	for i := range readers {
		r, err := s.Open(ctx, bucket, "snap")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer r.Close()
		readers[i] = r
	}
	check := func(r oss.Reader, when string) {
		t.Helper()
		if r.Size() != int64(len(orig)) {
			t.Errorf("Size() %s = %d, want %d", when, r.Size(), len(orig))
		}
		got := make([]byte, len(orig))
		if n, err := r.ReadAt(got, 0); n != len(orig) || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt %s = %d, %v", when, n, err)
		}
		if !bytes.Equal(got, orig) {
			t.Errorf("ReadAt %s: content is not the snapshot", when)
		}
		all, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(all, orig) {
			t.Errorf("ReadAll %s: %d bytes, %v; want the %d-byte snapshot", when, len(all), err, len(orig))
		}
	}
	put(t, s, bucket, "snap", []byte("replaced"))
	check(readers[0], "after replace")
	if err := s.Delete(ctx, bucket, "snap"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	check(readers[1], "after delete")
	put(t, s, bucket, "snap", []byte("again"))
	if err := s.DeleteBucket(ctx, bucket); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	check(readers[2], "after bucket delete")
}

func testReadAt(t *testing.T, s oss.Store) {
	mkBucket(t, s, bucket)
	data := []byte("0123456789")
	put(t, s, bucket, "ten", data)
	r, err := s.Open(context.Background(), bucket, "ten")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	p := make([]byte, 4)
	tests := []struct {
		off     int64
		n       int
		wantEOF bool // io.EOF required; otherwise nil required, except at the exact end
	}{
		{0, 4, false}, {3, 4, false}, {6, 4, false}, {7, 3, true}, {9, 1, true}, {10, 0, true}, {11, 0, true}, {1 << 40, 0, true},
	}
	for _, tt := range tests {
		clear(p)
		n, err := r.ReadAt(p, tt.off)
		if n != tt.n {
			t.Errorf("ReadAt(4, %d) n = %d, want %d", tt.off, n, tt.n)
		}
		switch {
		case tt.wantEOF && err != io.EOF:
			t.Errorf("ReadAt(4, %d) error = %v, want io.EOF", tt.off, err)
		case !tt.wantEOF && err != nil && !(err == io.EOF && tt.off+int64(n) == int64(len(data))):
			t.Errorf("ReadAt(4, %d) error = %v, want nil", tt.off, err)
		}
		if n > 0 && !bytes.Equal(p[:n], data[tt.off:tt.off+int64(n)]) {
			t.Errorf("ReadAt(4, %d) = %q, want %q", tt.off, p[:n], data[tt.off:tt.off+int64(n)])
		}
	}
	if n, err := r.ReadAt(p, -1); err == nil {
		t.Errorf("ReadAt(-1) = %d, nil; want an error", n)
	}
	// Parallel ReadAt, as io.ReaderAt allows.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 2)
			off := int64(i % 9)
			if n, err := r.ReadAt(b, off); n != 2 || !bytes.Equal(b, data[off:off+2]) {
				t.Errorf("parallel ReadAt(2, %d) = %d %q, %v", off, n, b, err)
			}
		}()
	}
	wg.Wait()
	// Read continues to work after ReadAt and ends with io.EOF.
	all, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(all, data) {
		t.Errorf("ReadAll = %q, %v; want %q", all, err, data)
	}
	if n, err := r.Read(p); n != 0 || err != io.EOF {
		t.Errorf("Read at end = %d, %v; want 0, io.EOF", n, err)
	}
}

func testReaderClose(t *testing.T, s oss.Store) {
	mkBucket(t, s, bucket)
	put(t, s, bucket, "c", []byte("content"))
	r, err := s.Open(context.Background(), bucket, "c")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	p := make([]byte, 4)
	if n, err := r.Read(p); err == nil || n != 0 {
		t.Errorf("Read after Close = %d, %v; want an error", n, err)
	}
	if n, err := r.ReadAt(p, 0); err == nil || n != 0 {
		t.Errorf("ReadAt after Close = %d, %v; want an error", n, err)
	}
}

func testList(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	mkBucket(t, s, "other-bucket")
	put(t, s, "other-bucket", "img/elsewhere", []byte("x"))
	all := []string{"img/b", "img/a", "img-2", "img", "im", "Img/z", "img/a/deeper", "z", "img/\u00e9", "img/~"}
	for i, k := range all {
		put(t, s, bucket, k, bytes.Repeat([]byte{'x'}, i))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"Img/z", "im", "img", "img-2", "img/a", "img/a/deeper", "img/b", "img/~", "img/\u00e9", "z"}},
		{"img/", []string{"img/a", "img/a/deeper", "img/b", "img/~", "img/\u00e9"}},
		{"img", []string{"img", "img-2", "img/a", "img/a/deeper", "img/b", "img/~", "img/\u00e9"}},
		{"img/a", []string{"img/a", "img/a/deeper"}},
		{"z", []string{"z"}},
		{"nothing", []string{}},
		{"IMG", []string{}},
		{"/", []string{}},
	}
	for _, tt := range tests {
		objs, err := s.List(ctx, bucket, tt.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tt.prefix, err)
			continue
		}
		if got := keys(objs); !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
		for _, o := range objs {
			i := slices.Index(all, o.Key)
			checkObject(t, "List", o, bucket, o.Key, bytes.Repeat([]byte{'x'}, i))
		}
	}
}

func testDelete(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	put(t, s, bucket, "a", []byte("a"))
	put(t, s, bucket, "a/b", []byte("ab"))
	long := strings.Repeat("long/", 100)
	put(t, s, bucket, long+"1", []byte("1"))
	put(t, s, bucket, long+"2", []byte("2"))
	if err := s.Delete(ctx, bucket, "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	checkAbsent(t, s, bucket, "a")
	wantErr(t, "Delete twice", s.Delete(ctx, bucket, "a"), oss.ErrNoSuchKey)
	if err := s.Delete(ctx, bucket, long+"1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got, want := listKeys(t, s, bucket, ""), []string{"a/b", long + "2"}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if got := readObject(t, s, bucket, long+"2"); string(got) != "2" {
		t.Errorf("content of the sibling long key = %q, want %q", got, "2")
	}
	put(t, s, bucket, "a", []byte("again"))
	if got := readObject(t, s, bucket, "a"); string(got) != "again" {
		t.Errorf("content after re-create = %q, want %q", got, "again")
	}
}

func testDeleteBucket(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	mkBucket(t, s, "survivor")
	put(t, s, bucket, "x", []byte("x"))
	put(t, s, bucket, strings.Repeat("y", 500), []byte("y"))
	put(t, s, "survivor", "x", []byte("survivor"))
	u, err := s.Create(ctx, bucket, "in-flight")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	u.Write([]byte("data"))
	if err := s.DeleteBucket(ctx, bucket); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err = u.Commit()
	wantErr(t, "Commit into a deleted bucket", err, oss.ErrNoSuchBucket)
	wantErr(t, "Abort after failed Commit", u.Abort(), oss.ErrAborted)
	_, err = s.List(ctx, bucket, "")
	wantErr(t, "List of deleted bucket", err, oss.ErrNoSuchBucket)
	mkBucket(t, s, bucket)
	if ks := listKeys(t, s, bucket, ""); len(ks) != 0 {
		t.Errorf("re-created bucket lists %q, want nothing", ks)
	}
	if got := readObject(t, s, "survivor", "x"); string(got) != "survivor" {
		t.Errorf("other bucket's object = %q, want %q", got, "survivor")
	}
}

func testContext(t *testing.T, s oss.Store) {
	mkBucket(t, s, bucket)
	put(t, s, bucket, "k", []byte("v"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ops := map[string]func() error{
		"CreateBucket": func() error { return s.CreateBucket(ctx, oss.Bucket{Name: "new-bucket"}) },
		"Bucket":       func() error { _, err := s.Bucket(ctx, bucket); return err },
		"Buckets":      func() error { _, err := s.Buckets(ctx); return err },
		"DeleteBucket": func() error { return s.DeleteBucket(ctx, bucket) },
		"Create": func() error {
			u, err := s.Create(ctx, bucket, "k2")
			if err == nil {
				u.Abort()
			}
			return err
		},
		"Stat": func() error { _, err := s.Stat(ctx, bucket, "k"); return err },
		"Open": func() error {
			r, err := s.Open(ctx, bucket, "k")
			if err == nil {
				r.Close()
			}
			return err
		},
		"List":   func() error { _, err := s.List(ctx, bucket, ""); return err },
		"Delete": func() error { return s.Delete(ctx, bucket, "k") },
	}
	for name, op := range ops {
		wantErr(t, name+" with a cancelled context", op(), context.Canceled)
	}
	bg := context.Background()
	if _, err := s.Bucket(bg, "new-bucket"); !errors.Is(err, oss.ErrNoSuchBucket) {
		t.Errorf("CreateBucket with a cancelled context created the bucket (Bucket error = %v)", err)
	}
	if got := readObject(t, s, bucket, "k"); string(got) != "v" {
		t.Errorf("after cancelled calls, content = %q, want %q", got, "v")
	}

	// The ctx given to Create governs the upload.
	uctx, ucancel := context.WithCancel(bg)
	u, err := s.Create(uctx, bucket, "cancelled")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := u.Write([]byte("before")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	ucancel()
	_, err = u.Write([]byte("after"))
	wantErr(t, "Write after cancel", err, context.Canceled)
	_, err = u.Commit()
	wantErr(t, "Commit after cancel", err, context.Canceled)
	wantErr(t, "Abort after failed Commit", u.Abort(), oss.ErrAborted)
	checkAbsent(t, s, bucket, "cancelled")

	uctx, ucancel = context.WithCancel(bg)
	u, err = s.Create(uctx, bucket, "cancelled")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	ucancel()
	_, err = u.Write([]byte("after"))
	wantErr(t, "Write after cancel", err, context.Canceled)
	if err := u.Abort(); err != nil {
		t.Errorf("Abort after failed Write: %v", err)
	}
	checkAbsent(t, s, bucket, "cancelled")
}

// concurrentContent is what writer w puts in key on round i: self-describing, so a reader can
// tell a whole version from a torn one.
func concurrentContent(key string, w, i int) []byte {
	head := fmt.Sprintf("%s|%d|%d|", key, w, i)
	return append([]byte(head), bytes.Repeat([]byte{byte('a' + (w+i)%26)}, 100+(w*37+i*11)%3000)...)
}

func checkContent(key string, data []byte) error {
	parts := strings.SplitN(string(data), "|", 4)
	if len(parts) != 4 || parts[0] != key {
		return fmt.Errorf("content of %q has header %.40q", key, data)
	}
	var w, i int
	if _, err := fmt.Sscanf(parts[1]+" "+parts[2], "%d %d", &w, &i); err != nil {
		return fmt.Errorf("content of %q has header %.40q", key, data)
	}
	if want := concurrentContent(key, w, i); !bytes.Equal(data, want) {
		return fmt.Errorf("content of %q (writer %d, round %d) is torn: %d bytes, want %d", key, w, i, len(data), len(want))
	}
	return nil
}

func testConcurrent(t *testing.T, s oss.Store) {
	ctx := context.Background()
	mkBucket(t, s, bucket)
	const writers, rounds = 8, 12
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				key := fmt.Sprintf("w%d/k%d", w, i%4)
				if i%3 == 0 {
					key = fmt.Sprintf("shared/%d", i%2)
				}
				u, err := s.Create(ctx, bucket, key)
				if err != nil {
					t.Errorf("Create(%s): %v", key, err)
					return
				}
				data := concurrentContent(key, w, i)
				half := len(data) / 2
				u.Write(data[:half])
				if i%5 == 4 {
					if err := u.Abort(); err != nil {
						t.Errorf("Abort(%s): %v", key, err)
					}
					continue
				}
				u.Write(data[half:])
				o, err := u.Commit()
				if err != nil {
					t.Errorf("Commit(%s): %v", key, err)
					continue
				}
				if o.ETag != etag(data) {
					t.Errorf("Commit(%s) ETag = %s, want %s", key, o.ETag, etag(data))
				}
				switch i % 4 {
				case 1:
					if err := s.Delete(ctx, bucket, key); err != nil && !errors.Is(err, oss.ErrNoSuchKey) {
						t.Errorf("Delete(%s): %v", key, err)
					}
				case 2:
					if _, err := s.List(ctx, bucket, ""); err != nil {
						t.Errorf("List: %v", err)
					}
				case 3:
					// Another writer may replace or delete it meanwhile; whatever is read must be whole.
					if r, err := s.Open(ctx, bucket, key); err == nil {
						got, err := io.ReadAll(r)
						r.Close()
						if err != nil {
							t.Errorf("reading %s: %v", key, err)
						} else if err := checkContent(key, got); err != nil {
							t.Error(err)
						}
					} else if !errors.Is(err, oss.ErrNoSuchKey) {
						t.Errorf("Open(%s): %v", key, err)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // a bucket created and deleted alongside
		defer wg.Done()
		for range rounds {
			if err := s.CreateBucket(ctx, oss.Bucket{Name: "churn"}); err != nil {
				t.Errorf("CreateBucket(churn): %v", err)
				return
			}
			u, err := s.Create(ctx, "churn", "x")
			if err != nil {
				t.Errorf("Create(churn/x): %v", err)
				return
			}
			u.Write([]byte("x"))
			if _, err := u.Commit(); err != nil {
				t.Errorf("Commit(churn/x): %v", err)
			}
			if err := s.DeleteBucket(ctx, "churn"); err != nil {
				t.Errorf("DeleteBucket(churn): %v", err)
				return
			}
		}
	}()
	wg.Wait()

	objs, err := s.List(ctx, bucket, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(objs) == 0 {
		t.Errorf("List after the concurrent phase is empty")
	}
	for i, o := range objs {
		if i > 0 && objs[i-1].Key >= o.Key {
			t.Errorf("List not sorted or has duplicates: %q before %q", objs[i-1].Key, o.Key)
		}
		data := readObject(t, s, bucket, o.Key)
		if err := checkContent(o.Key, data); err != nil {
			t.Error(err)
		}
		checkObject(t, "List", o, bucket, o.Key, data)
		if st, err := s.Stat(ctx, bucket, o.Key); err != nil || !sameObject(st, o) {
			t.Errorf("Stat(%s) = %+v, %v; want %+v as listed", o.Key, st, err, o)
		}
	}
	if bs, err := s.Buckets(ctx); err != nil || len(bs) != 1 || bs[0].Name != bucket {
		t.Errorf("Buckets = %v, %v; want only %s", bs, err, bucket)
	}
}
