package fuzz

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// runWorkers runs the stateless fuzzer against a fresh embedded reference (with mutant, or
// unbroken for "") on n workers, and returns its report.
func runWorkers(t *testing.T, mutant string, runs, n, stopAfter int, loopback bool) *Report {
	t.Helper()
	var e *Embedded
	if mutant == "" {
		e = embedded(t)
	} else {
		e = embedded(t, mutant)
	}
	rep, err := Run(context.Background(), Config{Session: e.Session(loopback), Gen: generator(t), Seed: teethSeed, Runs: runs,
		StopAfter: stopAfter, Workers: n, NewSession: func() (*Session, error) { return e.Worker(loopback) }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// fingerprint is what a report says, without its timing: the summary, and each finding's
// title, shrunk request and divergence.
func fingerprint(t *testing.T, rep *Report) string {
	t.Helper()
	sum := rep.Summary()
	sum.ElapsedMS = 0
	data, err := json.MarshalIndent(sum, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.Write(data)
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "\n%s | %s | %s | %s", f.ID, f.Rule, f.Request, f.Divergence.Error())
	}
	return b.String()
}

// TestRun_WorkersDoNotChangeTheReport: a seed gives the same findings, reach and rules on
// one worker as on four (in process and over loopback), and --stop-after stops at the same
// finding.
func TestRun_WorkersDoNotChangeTheReport(t *testing.T) {
	cases := []struct {
		name            string
		mutant          string
		runs, stopAfter int
		loopback        bool
	}{
		{"unbroken", "", 400, 0, false},
		{"prefix-31", "prefix-31", 500, 0, false},
		{"format-case-insensitive stop-after 1", "format-case-insensitive", 400, 1, false},
		{"prefix-31 over loopback", "prefix-31", 500, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			one := runWorkers(t, c.mutant, c.runs, 1, c.stopAfter, c.loopback)
			four := runWorkers(t, c.mutant, c.runs, 4, c.stopAfter, c.loopback)
			if c.mutant != "" && len(newFindings(one)) == 0 {
				t.Fatalf("mutant %s: no finding in %d runs; the comparison needs one", c.mutant, c.runs)
			}
			if c.stopAfter > 0 && (len(one.Findings) != c.stopAfter || one.Checked >= c.runs) {
				t.Fatalf("stop-after %d: %d findings after %d of %d requests", c.stopAfter, len(one.Findings), one.Checked, c.runs)
			}
			if a, b := fingerprint(t, one), fingerprint(t, four); a != b {
				t.Errorf("1 worker and 4 workers disagree.\n--- 1 worker:\n%s\n--- 4 workers:\n%s", a, b)
			}
		})
	}
}

// TestRun_WorkersWithoutNewSession: an endpoint with a control API and no NewSession is
// checked by one worker (its state is shared); one without is checked by copies of the
// session.
func TestRun_WorkersWithoutNewSession(t *testing.T) {
	e := embedded(t)
	s := e.Session(false)
	cfg := Config{Session: s, Workers: 4, Runs: 10}
	if w, err := cfg.workerSessions(context.Background()); err != nil || w != nil {
		t.Errorf("with a control API: %d worker sessions (%v), want none (one worker)", len(w), err)
	}
	s.Control = nil
	w, err := cfg.workerSessions(context.Background())
	if err != nil || len(w) != 4 {
		t.Fatalf("without a control API: %d worker sessions (%v), want 4", len(w), err)
	}
	for _, ws := range w {
		if ws == s || ws.State == nil || ws.State == s.State || ws.Transport == nil {
			t.Errorf("worker session %p: want a copy with a state of its own", ws)
		}
	}
}
