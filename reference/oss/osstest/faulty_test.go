package osstest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/exportimage/eic/reference/oss"
)

func TestFaulty(t *testing.T) {
	Run(t, func(t *testing.T) oss.Store { return NewFaulty(oss.NewMemory()) })
}

func TestFaultyDir(t *testing.T) {
	Run(t, func(t *testing.T) oss.Store { return NewFaulty(dir(t)) })
}

func TestFaulty_FailUploadsAfter(t *testing.T) {
	f := NewFaulty(oss.NewMemory())
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
	if n != 2 || !errors.Is(err, ErrInjected) {
		t.Errorf("Write across the limit = %d, %v; want 2, ErrInjected", n, err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "osstest: injected fault: ") {
		t.Errorf("error %q does not start with %q", err, "osstest: injected fault: ")
	}
	if _, err := u.Write([]byte("x")); !errors.Is(err, ErrInjected) {
		t.Errorf("Write after the fault: %v, want ErrInjected", err)
	}
	// The inner upload is already gone: nothing is left even before the caller aborts.
	checkNoTemporaries(t, f)
	if _, err := u.Commit(); !errors.Is(err, ErrInjected) {
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
	put(t, f, "b-faulty", "second", []byte("long enough to pass the old limit"))
}

func TestFaulty_AbortAfterFault(t *testing.T) {
	d := dir(t)
	f := NewFaulty(d)
	mkBucket(t, f, "b-faulty")
	f.FailUploadsAfter(0, 2)
	for _, key := range []string{"a", "b"} {
		u, err := f.Create(ctx, "b-faulty", key)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if n, err := u.Write([]byte("x")); n != 0 || !errors.Is(err, ErrInjected) {
			t.Errorf("Write = %d, %v; want 0, ErrInjected", n, err)
		}
		if err := u.Abort(); err != nil {
			t.Errorf("Abort after a failed Write: %v", err)
		}
	}
	checkNoTemporaries(t, d)
	put(t, f, "b-faulty", "c", []byte("third upload is not armed"))
}

func TestFaulty_UploadUnderLimit(t *testing.T) {
	f := NewFaulty(oss.NewMemory())
	mkBucket(t, f, "b-faulty")
	f.FailUploadsAfter(10, 1)
	put(t, f, "b-faulty", "short", []byte("0123456789")) // exactly the limit: no fault
	if f.Fired() != 0 {
		t.Errorf("Fired = %d, want 0", f.Fired())
	}
}

func TestFaulty_FailCreatesAndCommits(t *testing.T) {
	f := NewFaulty(oss.NewMemory())
	mkBucket(t, f, "b-faulty")
	f.FailCreates(1)
	if _, err := f.Create(ctx, "b-faulty", "k"); !errors.Is(err, ErrInjected) {
		t.Errorf("Create: %v, want ErrInjected", err)
	}
	put(t, f, "b-faulty", "k", []byte("old"))

	f.FailCommits(1)
	u, err := f.Create(ctx, "b-faulty", "k")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	io.WriteString(u, "new")
	if _, err := u.Commit(); !errors.Is(err, ErrInjected) {
		t.Errorf("Commit: %v, want ErrInjected", err)
	}
	if got := string(readObject(t, f, "b-faulty", "k")); got != "old" {
		t.Errorf("content after failed commit = %q, want %q", got, "old")
	}
	checkNoTemporaries(t, f)
	if got := f.Fired(); got != 2 {
		t.Errorf("Fired = %d, want 2", got)
	}

	f.FailCommits(3)
	f.Reset()
	put(t, f, "b-faulty", "k", []byte("after reset"))
}

var ctx = context.Background()

func dir(t *testing.T) *oss.Dir {
	t.Helper()
	d, err := oss.NewDir(t.TempDir())
	if err != nil {
		t.Fatalf("NewDir: %v", err)
	}
	return d
}
