package ecs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exportimage/eic/spec/errcode"
)

// TestService_concurrency runs 32 goroutines submitting, cancelling, describing, injecting
// faults and advancing the clock for a bounded time under -race, checking the quota invariant
// while they run, then checks that no task was lost or duplicated, that every Finished task
// has all its objects and no Failed or Deleted task has any, and that Close leaks no
// goroutine.
func TestService_concurrency(t *testing.T) {
	before := runtime.NumGoroutine()
	f, err := ParseFixtures([]byte(smallFixtures))
	if err != nil {
		t.Fatal(err)
	}
	clock := NewVirtualClock(t0)
	s := New(WithFixtures(f), WithClock(clock), WithSeed(7))
	ctx := context.Background()
	const concurrent = 3
	mustSetQuota(t, s, "acme", "test-1", concurrent, 1<<20)
	mustSetQuota(t, s, "acme", "test-2", concurrent, 1<<20)
	mustSetQuota(t, s, "zed", "test-1", concurrent, 1<<20)

	type sub struct{ account, region, image, bucket string }
	subs := []sub{
		{"acme", "test-1", "m-tiny", "acme-bkt"}, {"acme", "test-1", "m-small", "acme-bkt"},
		{"acme", "test-2", "m-tiny2", "acme-bkt2"}, {"zed", "test-1", "m-zed", "zed-bkt"},
	}
	var (
		mu      sync.Mutex
		created = map[string]sub{}
		order   []string
		prefix  atomic.Int64
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	allowed := []*errcode.Code{errcode.ImageIsExporting, errcode.ConcurrentQuotaExceed, errcode.ExportImageFailed}
	checkQuota := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		count := map[scope]int{}
		for _, task := range s.st.active {
			count[task.sc]++
		}
		for sc, ix := range s.st.indexes {
			if ix.inFlight < 0 || ix.inFlight > concurrent || ix.inFlight != count[sc] {
				t.Errorf("%v: in flight %d (active %d), quota %d", sc, ix.inFlight, count[sc], concurrent)
			}
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			for !stop.Load() && time.Now().Before(deadline) {
				switch op := rng.IntN(10); {
				case op < 4:
					sb := subs[rng.IntN(len(subs))]
					p := fmt.Sprintf("p%d", prefix.Add(1))
					id, err := export(s, sb.account, sb.region, sb.image, sb.bucket, func(r *ExportImageRequest) { r.OSSPrefix = P(p) })
					if err != nil {
						if !slices.Contains(allowed, codeOf(err)) {
							t.Errorf("ExportImage: %v", err)
						}
						continue
					}
					mu.Lock()
					if _, dup := created[id]; dup {
						t.Errorf("task ID %s handed out twice", id)
					}
					created[id] = sb
					order = append(order, id)
					mu.Unlock()
				case op < 6:
					mu.Lock()
					var id string
					var sb sub
					if len(order) > 0 {
						id = order[rng.IntN(len(order))]
						sb = created[id]
					}
					mu.Unlock()
					if id == "" {
						continue
					}
					if err := s.CancelTask(ctx, sb.account, sb.region, id); err != nil && codeOf(err) != errcode.TaskStatusIncorrect {
						t.Errorf("CancelTask: %v", err)
					}
				case op < 8:
					sb := subs[rng.IntN(len(subs))]
					if _, err := s.DescribeTasks(ctx, sb.account, DescribeTasksRequest{RegionID: sb.region, PageSize: "100", TaskStatus: "Processing"}); err != nil {
						t.Errorf("DescribeTasks: %v", err)
					}
				case op < 9:
					clock.Advance(time.Duration(rng.IntN(1500)) * time.Millisecond)
					checkQuota()
				default:
					if rng.IntN(4) == 0 {
						_ = s.InjectFault(Fault{Kind: []string{FaultFailExport, FaultStoreFail, FaultFailSubmit}[rng.IntN(3)], Account: "acme", AtPercent: rng.IntN(101)})
					}
				}
			}
		}()
	}
	wg.Wait()
	checkQuota()
	clock.Advance(time.Hour) // everything still in flight ends
	if len(created) == 0 {
		t.Fatal("no task was created")
	}

	// Every created task is listed exactly once, in its own scope; none is in flight.
	listed := map[string]string{}
	scopes := map[scope]bool{}
	for _, sb := range subs {
		if scopes[scope{sb.account, sb.region}] {
			continue
		}
		scopes[scope{sb.account, sb.region}] = true
		for page := 1; ; page++ {
			res, err := s.DescribeTasks(ctx, sb.account, DescribeTasksRequest{RegionID: sb.region, PageSize: "100", PageNumber: fmt.Sprint(page)})
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range res.TaskSet.Task {
				if _, dup := listed[task.TaskId]; dup {
					t.Errorf("task %s listed twice", task.TaskId)
				}
				listed[task.TaskId] = task.TaskStatus
			}
			if page*100 >= res.TotalCount {
				break
			}
		}
	}
	if len(listed) != len(created) {
		t.Errorf("%d tasks listed, %d created", len(listed), len(created))
	}
	wantObjects := map[string]map[string]bool{}
	counts := map[string]int{}
	for id, sb := range created {
		status, ok := listed[id]
		if !ok {
			t.Errorf("task %s lost", id)
			continue
		}
		counts[status]++
		a := attr(t, s, sb.account, sb.region, id)
		if wantObjects[sb.bucket] == nil {
			wantObjects[sb.bucket] = map[string]bool{}
		}
		for _, op := range a.OperationProgressSet.OperationProgress {
			key := op.RelatedItemSet.RelatedItem[0].Value
			if status == StatusFinished {
				wantObjects[sb.bucket][key] = true
			}
		}
		if status != StatusFinished && status != StatusFailed && status != StatusDeleted {
			t.Errorf("task %s still %s after an hour", id, status)
		}
	}
	for bucket, want := range wantObjects {
		got := keys(t, s, bucket)
		if len(got) != len(want) {
			t.Errorf("%s holds %d objects, want %d (Finished tasks' only)", bucket, len(got), len(want))
		}
		for _, k := range got {
			if !want[k] {
				t.Errorf("%s: object %s belongs to no Finished task", bucket, k)
			}
		}
	}
	if tmp := temporaries(t, s); len(tmp) != 0 {
		t.Errorf("temporaries left: %v", tmp)
	}
	t.Logf("%d tasks: %v", len(created), counts)

	s.Close()
	for end := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(end) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d after Close, %d before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
