package ecs

import (
	"fmt"
	"testing"
	"time"

	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/reference/oss/osstest"
	"github.com/exportimage/eic/spec"
)

// TestService_storeErrors: a store that fails for real (osstest.Faulty) fails the task the way
// the store-fail fault does: Failed with ExportImageFailed, no object, no temporary, the slot
// free; whether the upload fails at Create, during the writes or at Commit.
func TestService_storeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		arm  func(f *osstest.Faulty)
	}{
		{"create", func(f *osstest.Faulty) { f.FailCreates(1) }},
		{"write", func(f *osstest.Faulty) { f.FailUploadsAfter(1<<20, 1) }},
		{"commit", func(f *osstest.Faulty) { f.FailCommits(1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := osstest.NewFaulty(oss.NewMemory())
			s, _ := newTestService(t, smallFixtures, WithStore(f))
			mustSetQuota(t, s, "acme", "test-1", 1, 100)
			id := mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt")
			c.arm(f)
			s.Advance(time.Minute)
			a := attr(t, s, "acme", "test-1", id)
			op := a.OperationProgressSet.OperationProgress[0]
			if got, want := fmt.Sprint(a.TaskStatus, " ", op.ErrorCode), fmt.Sprint(StatusFailed, " ", spec.ExportImageFailed.Wire); got != want {
				t.Fatalf("task: got %s, want %s", got, want)
			}
			if f.Fired() != 1 {
				t.Errorf("faults fired: %d, want 1", f.Fired())
			}
			if k := keys(t, s, "acme-bkt"); len(k) != 0 {
				t.Errorf("objects of a failed task: %v", k)
			}
			if tmp, _ := f.Temporaries(); len(tmp) != 0 {
				t.Errorf("temporaries of a failed task: %v", tmp)
			}
			mustExport(t, s, "acme", "test-1", "m-small", "acme-bkt")
			s.Advance(time.Minute)
			if k := keys(t, s, "acme-bkt"); len(k) != 2 {
				t.Errorf("the next export: objects %v, want 2", k)
			}
		})
	}
}
