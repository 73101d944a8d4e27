package fuzz

import (
	"context"
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
			t.Errorf("row %s %s (%s) not reached in %d requests", c.ID, c.Code, c.Meaning, rep.Checked)
		}
	}
	if rep.New() != 0 {
		t.Errorf("the reference diverges: %v", rep.ByRule())
	}
	t.Logf("reach: %v", sum.Reach)
}
