package fuzz

import (
	"context"
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

// benchRun measures Run end to end (generate, send, validate, compare, reset) against the
// embedded reference: b.N generated requests, reported as checks per second.
func benchRun(b *testing.B, loopback bool) {
	e := embedded(b)
	g := generator(b)
	b.ResetTimer()
	rep, err := Run(context.Background(), Config{Session: e.Session(loopback), Gen: g, Seed: 1, Runs: b.N})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rep.Checked)/rep.Elapsed.Seconds(), "checks/s")
}

func BenchmarkRunInProcess(b *testing.B) { benchRun(b, false) }
func BenchmarkRunLoopback(b *testing.B)  { benchRun(b, true) }
