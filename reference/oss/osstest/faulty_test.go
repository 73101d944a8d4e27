package osstest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/reference/oss/osstest"
)

func TestFaulty(t *testing.T) {
	osstest.Run(t, func(t *testing.T) oss.Store { return osstest.NewFaulty(oss.NewMemory()) })
}

func TestFaultyDir(t *testing.T) {
	osstest.Run(t, func(t *testing.T) oss.Store { return osstest.NewFaulty(newDir(t, t.TempDir())) })
}

func TestFaulty_FailUploadsAfter(t *testing.T) {
	f := osstest.NewFaulty(oss.NewMemory())
	mkBucket(t, f, "b-faulty")
	f.FailUploadsAfter(5, 1)

	u, err := f.Create(ctx, "b-faulty", "first")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if n, err := u.Write([]byte("abc")); n != 3 || err != nil {
		t.Fatalf("Write under the limit = %d, %v", n, err)
	}
	n, err := u.Write([]byte("defgh"))
	if n != 2 || !errors.Is(err, osstest.ErrInjected) {
		t.Errorf("Write across the limit = %d, %v; want 2, ErrInjected", n, err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "osstest: injected fault: ") {
		t.Errorf("error %q does not start with %q", err, "osstest: injected fault: ")
	}
	if _, err := u.Write([]byte("x")); !errors.Is(err, osstest.ErrInjected) {
		t.Errorf("Write after the fault: %v, want ErrInjected", err)
	}
	// The inner upload is already gone: nothing is left even before the caller aborts.
	if tmp := temporaries(t, f); len(tmp) != 0 {
		t.Errorf("Temporaries after the fault = %q, want none", tmp)
	}
	if _, err := u.Commit(); !errors.Is(err, osstest.ErrInjected) {
		t.Errorf("Commit after the fault: %v, want ErrInjected", err)
	}
	if err := u.Abort(); !errors.Is(err, oss.ErrAborted) {
		t.Errorf("Abort after Commit: %v, want ErrAborted", err)
	}
	if _, err := f.Stat(ctx, "b-faulty", "first"); !errors.Is(err, oss.ErrNoSuchKey) {
		t.Errorf("Stat of failed upload: %v, want ErrNoSuchKey", err)
	}
	if got := f.Fired(); got != 1 {
		t.Errorf("Fired = %d, want 1", got)
	}
	// The fault was for one upload only.
	put(t, f, "b-faulty", "second", "long enough to pass the old limit")
}

func TestFaulty_AbortAfterFault(t *testing.T) {
	d := newDir(t, t.TempDir())
	f := osstest.NewFaulty(d)
	mkBucket(t, f, "b-faulty")
	f.FailUploadsAfter(0, 2)
	for _, key := range []string{"a", "b"} {
		u, err := f.Create(ctx, "b-faulty", key)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if n, err := u.Write([]byte("x")); n != 0 || !errors.Is(err, osstest.ErrInjected) {
			t.Errorf("Write = %d, %v; want 0, ErrInjected", n, err)
		}
		if err := u.Abort(); err != nil {
			t.Errorf("Abort after a failed Write: %v", err)
		}
	}
	if tmp := temporaries(t, d); len(tmp) != 0 {
		t.Errorf("Dir temporaries = %q, want none", tmp)
	}
	put(t, f, "b-faulty", "c", "third upload is not armed")
}

func TestFaulty_UploadUnderLimit(t *testing.T) {
	f := osstest.NewFaulty(oss.NewMemory())
	mkBucket(t, f, "b-faulty")
	f.FailUploadsAfter(10, 1)
	put(t, f, "b-faulty", "short", "0123456789") // exactly the limit: no fault
	if f.Fired() != 0 {
		t.Errorf("Fired = %d, want 0", f.Fired())
	}
}

func TestFaulty_FailCreatesAndCommits(t *testing.T) {
	f := osstest.NewFaulty(oss.NewMemory())
	mkBucket(t, f, "b-faulty")
	f.FailCreates(1)
	if _, err := f.Create(ctx, "b-faulty", "k"); !errors.Is(err, osstest.ErrInjected) {
		t.Errorf("Create: %v, want ErrInjected", err)
	}
	put(t, f, "b-faulty", "k", "old")

	f.FailCommits(1)
	u, err := f.Create(ctx, "b-faulty", "k")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	io.WriteString(u, "new")
	if _, err := u.Commit(); !errors.Is(err, osstest.ErrInjected) {
		t.Errorf("Commit: %v, want ErrInjected", err)
	}
	if got := read(t, f, "b-faulty", "k"); got != "old" {
		t.Errorf("content after failed commit = %q, want %q", got, "old")
	}
	if tmp := temporaries(t, f); len(tmp) != 0 {
		t.Errorf("Temporaries = %q, want none", tmp)
	}
	if got := f.Fired(); got != 2 {
		t.Errorf("Fired = %d, want 2", got)
	}

	f.FailCommits(3)
	f.Reset()
	put(t, f, "b-faulty", "k", "after reset")
}

var ctx = context.Background()

func newDir(t testing.TB, root string) *oss.Dir {
	t.Helper()
	d, err := oss.NewDir(root)
	if err != nil {
		t.Fatalf("NewDir: %v", err)
	}
	return d
}

func mkBucket(t testing.TB, s oss.Store, name string) {
	t.Helper()
	if err := s.CreateBucket(ctx, oss.Bucket{Name: name, Region: "cn-hangzhou", Owner: "demo"}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
}

func put(t testing.TB, s oss.Store, bucket, key, data string) {
	t.Helper()
	u, err := s.Create(ctx, bucket, key)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := io.WriteString(u, data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if _, err := u.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
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

func temporaries(t testing.TB, s osstest.TemporaryLister) []string {
	t.Helper()
	tmp, err := s.Temporaries()
	if err != nil {
		t.Fatalf("Temporaries: %v", err)
	}
	return tmp
}
