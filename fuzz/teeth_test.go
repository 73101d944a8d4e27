package fuzz

import (
	"context"
	"math/rand"
	"strings"
	"testing"
)

// teethSeed is fixed: the bounds below (runs to detection) are facts about this seed.
const teethSeed = 1

func runDiff(t *testing.T, mutant string, runs int, stateful bool) *Report {
	return runDiffSteps(t, mutant, runs, stateful, nil)
}

func runDiffSteps(t *testing.T, mutant string, runs int, stateful bool, steps func(*rand.Rand, int) Step) *Report {
	t.Helper()
	var e *Embedded
	if mutant == "" {
		e = embedded(t)
	} else {
		e = embedded(t, mutant)
	}
	// As eic fuzz runs them: stateless checks on several workers.
	rep, err := Run(context.Background(), Config{Session: e.Session(false), Gen: generator(t), Seed: teethSeed,
		Runs: runs, Stateful: stateful, SeqLen: 20, Steps: steps, Out: t.TempDir(),
		Workers: 4, NewSession: func() (*Session, error) { return e.Worker(false) }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func newFindings(rep *Report) []*Finding {
	var out []*Finding
	for _, f := range rep.Findings {
		if f.Known == "" {
			out = append(out, f)
		}
	}
	return out
}

func paramNames(r *Request) string {
	var names []string
	for _, p := range r.Params {
		names = append(names, p.Name)
	}
	return strings.Join(names, ",")
}

func onlyRequiredAnd(t *testing.T, r *Request, extra string) {
	t.Helper()
	want := map[string]bool{"RegionId": true, "ImageId": true, "OSSBucket": true, extra: true}
	if len(r.Params) != len(want) {
		t.Errorf("shrunk request %s has parameters %s, want RegionId, ImageId, OSSBucket and %s", r, paramNames(r), extra)
	}
	for _, p := range r.Params {
		if !want[p.Name] {
			t.Errorf("shrunk request %s keeps %s", r, p.Name)
		}
	}
}

// TestTeeth: the differential fuzzer catches deliberately broken references within a
// bounded number of runs and shrinks each to a minimal case; the unbroken reference gives
// no new divergence on the same seed and runs. The quota mutant is hunted with sequences
// aimed at quotas (GenQuotaStep); TestProperty_StatefulInvariants covers the general ones.
func TestTeeth(t *testing.T) {
	const runs, seqs = 500, 30
	t.Run("prefix-31", func(t *testing.T) {
		found := newFindings(runDiff(t, "prefix-31", runs, false))
		if len(found) == 0 {
			t.Fatalf("prefix-31 not caught in %d runs", runs)
		}
		f := found[0]
		t.Logf("caught at run %d, shrunk in %d re-runs to %s", f.Run, f.Shrink, f.Request)
		v, _ := f.Request.Get("OSSPrefix")
		if len(v) != 31 || !validPrefix(v[:30]) || !validPrefix(v[30:]) {
			t.Errorf("shrunk OSSPrefix %q: want 31 letters or digits", v)
		}
		onlyRequiredAnd(t, f.Request, "OSSPrefix")
		if f.Expected.Rows[0].ID != "EI-E05" || !strings.Contains(f.Feature, `refused with 400 InvalidOSSPrefix.Malformed (EI-E05)`) {
			t.Errorf("finding expects %s; feature:\n%s", f.Expected, f.Feature)
		}
	})
	t.Run("format-case-insensitive", func(t *testing.T) {
		found := newFindings(runDiff(t, "format-case-insensitive", runs, false))
		if len(found) == 0 {
			t.Fatalf("format-case-insensitive not caught in %d runs", runs)
		}
		f := found[0]
		t.Logf("caught at run %d, shrunk in %d re-runs to %s", f.Run, f.Shrink, f.Request)
		v, _ := f.Request.Get("ImageFormat")
		if imageFormats[v] || !imageFormats[strings.ToLower(v)] {
			t.Errorf("shrunk ImageFormat %q: want a case variant of a format", v)
		}
		onlyRequiredAnd(t, f.Request, "ImageFormat")
	})
	t.Run("quota-off-by-one", func(t *testing.T) {
		found := newFindings(runDiffSteps(t, "quota-off-by-one", seqs, true, GenQuotaStep))
		if len(found) == 0 {
			t.Fatalf("quota-off-by-one not caught in %d sequences", seqs)
		}
		f := found[0]
		var steps []string
		for _, s := range f.Steps {
			steps = append(steps, s.String())
		}
		t.Logf("caught at sequence %d, shrunk in %d re-runs to %d steps: %s", f.Run, f.Shrink, len(f.Steps), strings.Join(steps, "; "))
		if len(f.Steps) > 4 {
			t.Errorf("shrunk to %d steps, want ≤ 4 (a quota, two exports)", len(f.Steps))
		}
		if !strings.Contains(f.Expected.String(), "ConcurrentQuotaExceed") {
			t.Errorf("finding expects %s, want ConcurrentQuotaExceed", f.Expected)
		}
	})
	t.Run("unbroken", func(t *testing.T) {
		for _, f := range newFindings(runDiff(t, "", runs, false)) {
			t.Errorf("unbroken reference diverges: %s\n%s", f.Divergence.Error(), f.Text())
		}
		for _, f := range newFindings(runDiffSteps(t, "", seqs, true, GenQuotaStep)) {
			t.Errorf("unbroken reference diverges in a sequence: %s\n%s", f.Divergence.Error(), f.Text())
		}
	})
}

// findingFor returns the first new finding for a rule whose title starts with rule.
func findingFor(rep *Report, rule string) *Finding {
	for _, f := range newFindings(rep) {
		if strings.HasPrefix(f.Rule, rule) {
			return f
		}
	}
	return nil
}

func rules(rep *Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Rule+" ← "+f.Request.String())
	}
	return out
}

// TestRun_KeepsFindingsWhoseShrinkKeepsTheirSignature is the regression test of the lost
// findings: a divergence whose shrunk request diverges the same way (same rule, same answer)
// was dropped as "already reported" because the original's signature was marked seen before
// shrinking. An endpoint that accepts every malformed OSSPrefix must yield a finding titled
// EI-E05 whose minimal request still carries a malformed prefix and a valid region.
func TestRun_KeepsFindingsWhoseShrinkKeepsTheirSignature(t *testing.T) {
	for _, mutant := range []string{"unchecked-oss-prefix", "prefix-31"} {
		t.Run(mutant, func(t *testing.T) {
			rep := runDiff(t, mutant, 2000, false)
			f := findingFor(rep, "EI-E05")
			if f == nil {
				t.Fatalf("no finding for EI-E05 in %d requests; findings: %q", rep.Checked, rules(rep))
			}
			if f.Divergence.Kind != "mismatch" || !strings.Contains(f.ID, "EI-E05") {
				t.Errorf("finding %s: %s; want a mismatch titled EI-E05", f.ID, f.Divergence.Error())
			}
			prefix, ok := f.Request.Get("OSSPrefix")
			if !ok || validPrefix(prefix) {
				t.Errorf("shrunk request %s lost the culprit (OSSPrefix %q)", f.Request, prefix)
			}
			if region, _ := f.Request.Get("RegionId"); DefaultWorld().Regions[region].Name == "" {
				t.Errorf("shrunk request %s: region %q does not exist; the finding is a precedence side effect", f.Request, region)
			}
			for _, g := range newFindings(rep) {
				if !strings.HasPrefix(g.Rule, "EI-E05") {
					t.Errorf("%s breaks only EI-E05; also reported %s: %s", mutant, g.Rule, g.Request)
				}
			}
		})
	}
}
