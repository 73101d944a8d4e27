package ecs

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// seedFinishedTasks is the benchmark's fast path: it registers n Finished tasks of one image
// directly (no checks, no writer, no objects, no quota use), one second apart from the clock's
// time on, exactly as addTask registers real ones, so the indexes DescribeTasks reads are the
// real ones.
func seedFinishedTasks(s *Service, account, region, imageID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	im := s.st.images[imageID]
	sc := scope{account, region}
	start := s.clock.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second)
		t := s.newTask(sc, im, "eic-export", "", "raw", at)
		t.status, t.started, t.finished, t.done = StatusFinished, at, at, t.total
		s.addTask(t)
	}
}

// BenchmarkDescribeTasks100k pages through 100 000 tasks of one account, 100 at a time, with
// no filter, a status filter with a time range, and a ResourceIds filter (the one that scans).
// It reports the memory each task costs (heap growth while seeding, divided by the count).
func BenchmarkDescribeTasks100k(b *testing.B) {
	const n = 100_000
	s, _ := newTestService(b, "")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	seedFinishedTasks(s, "demo", "cn-hangzhou", "m-eic-custom", n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	perTask := float64(after.HeapAlloc-before.HeapAlloc) / n
	ctx := context.Background()
	for _, c := range []struct {
		name string
		req  DescribeTasksRequest
	}{
		{"all", DescribeTasksRequest{}},
		{"status+time", DescribeTasksRequest{TaskStatus: "Finished", StartTime: "2026-03-01T06:00:00Z", EndTime: "2026-03-02T00:00Z"}},
		{"resource", DescribeTasksRequest{ResourceIDs: []string{"m-eic-custom"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := c.req
			req.RegionID, req.PageSize = "cn-hangzhou", "100"
			i := 0
			for b.Loop() {
				req.PageNumber = strconv.Itoa(i%1000 + 1)
				res, err := s.DescribeTasks(ctx, "demo", req)
				if err != nil || res.TotalCount == 0 {
					b.Fatalf("%d tasks, %v", res.TotalCount, err)
				}
				i++
			}
			b.ReportMetric(perTask, "bytes/task")
		})
	}
}
