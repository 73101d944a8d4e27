package fuzz

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// benchCheck measures generated requests checked per second (generate not included: the
// requests are made first; send, validate against the spec, compare with the model, reset
// after accepted exports all included).
func benchCheck(b *testing.B, loopback bool) {
	s := started(b, embedded(b).Session(loopback))
	s.AutoReset = true
	g := generator(b)
	r := seedInt64(1)
	actions := []string{"ExportImage", "ExportImage", "ExportImage", "DescribeTasks", "DescribeTaskAttribute", "CancelTask"}
	reqs := make([]Request, 1024)
	for i := range reqs {
		reqs[i] = g.Request(r, actions[r.Intn(len(actions))], nil)
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.Check(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkCheckInProcess(b *testing.B) { benchCheck(b, false) }
func BenchmarkCheckLoopback(b *testing.B)  { benchCheck(b, true) }

// benchRun measures Run end to end (generate, send, validate, compare, reset, and starting
// the workers' references) against the embedded reference: b.N generated requests on
// workers workers (0: GOMAXPROCS, as eic fuzz does by default), reported as checks per
// second.
func benchRun(b *testing.B, loopback bool, workers int) {
	e := embedded(b)
	g := generator(b)
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b.ResetTimer()
	rep, err := Run(context.Background(), Config{Session: e.Session(loopback), Gen: g, Seed: 1, Runs: b.N,
		Workers: workers, NewSession: func() (*Session, error) { return e.Worker(loopback) }})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rep.Checked)/rep.Elapsed.Seconds(), "checks/s")
}

// BenchmarkRunInProcess is what `eic fuzz` does by default: in process, GOMAXPROCS workers.
func BenchmarkRunInProcess(b *testing.B)        { benchRun(b, false, 0) }
func BenchmarkRunLoopback(b *testing.B)         { benchRun(b, true, 0) }
func BenchmarkRunInProcess1Worker(b *testing.B) { benchRun(b, false, 1) }
func BenchmarkRunLoopback1Worker(b *testing.B)  { benchRun(b, true, 1) }
