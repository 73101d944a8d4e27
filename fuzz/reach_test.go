package fuzz

import (
	"context"
	"sort"
	"testing"

	"github.com/exportimage/eic/spec"
)

// unproducible are the rows the reference answers only to injected faults (the control
// API's /_reference/faults), never to a request of its own: the fuzzer does not inject
// faults, so it cannot reach them.
var unproducible = map[string]bool{
	spec.Throttling.ID: true, spec.InternalError.ID: true, spec.ServiceUnavailable.ID: true,
}

// TestRun_ReachesEveryRow: 2,000 generated requests at seed 1 against the embedded
// reference reach every documented row the reference can produce, each at least once.
func TestRun_ReachesEveryRow(t *testing.T) {
	e := embedded(t)
	rep, err := Run(context.Background(), Config{Session: e.Session(false), Gen: generator(t), Seed: 1, Runs: 2000})
	if err != nil {
		t.Fatal(err)
	}
	sum := rep.Summary()
	for _, c := range spec.Codes() {
		if unproducible[c.ID] {
			continue
		}
		if sum.Reach[c.ID] == 0 {
			t.Errorf("row %s %s (%s) not reached in %d requests", c.ID, c.Wire, c.Meaning, rep.Checked)
		}
	}
	if rep.New() != 0 {
		t.Errorf("the reference diverges: %v", rep.ByRule())
	}
	t.Logf("every producible row reached after %d requests; reach: %v", rep.RequestsToReach(producibleRows()), sum.Reach)
}

func producibleRows() []string {
	var ids []string
	for _, c := range spec.Codes() {
		if !unproducible[c.ID] {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// BenchmarkRequestsToReachEveryRow reports, for seeds 1–5, the number of generated requests
// it takes to reach every row the reference can produce (the median and the worst).
func BenchmarkRequestsToReachEveryRow(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var got []int
		for seed := int64(1); seed <= 5; seed++ {
			e := embedded(b)
			rep, err := Run(context.Background(), Config{Session: e.Session(false), Gen: generator(b), Seed: seed, Runs: 6000})
			if err != nil {
				b.Fatal(err)
			}
			if rep.New() != 0 {
				b.Errorf("seed %d: the reference diverges: %v", seed, rep.ByRule())
			}
			n := rep.RequestsToReach(producibleRows())
			if n == 0 {
				b.Fatalf("seed %d: not every row reached in 6000 requests", seed)
			}
			got = append(got, n)
			b.Logf("seed %d: %d requests", seed, n)
		}
		sort.Ints(got)
		b.ReportMetric(float64(got[2]), "median-requests")
		b.ReportMetric(float64(got[4]), "max-requests")
	}
}
