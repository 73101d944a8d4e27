package steps

import (
	"bytes"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/exportimage/eic/features"
	"github.com/exportimage/eic/reference"
)

func startReference(tb testing.TB, opts ...reference.Option) (*Embedded, *Config) {
	tb.Helper()
	ref, err := StartReference(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ref.Close() })
	cfg, err := ref.Config()
	if err != nil {
		tb.Fatal(err)
	}
	return ref, cfg
}

// expectedSkips are the scenarios the reference cannot serve, by the fixture they lack.
var expectedSkips = map[string]bool{
	`fixture task "other-action" is not defined in the fixtures file`: true,
}

// TestSuite runs every scenario (the reference profile: @costly exports are free there)
// against the embedded reference server over real HTTP, each scenario a subtest. The
// reference must pass everything, @assumption scenarios included: it defines them.
func TestSuite(t *testing.T) {
	_, cfg := startReference(t)
	var out bytes.Buffer
	rep, err := Run(RunOptions{Config: cfg, TestingT: t, Output: &out, Format: "progress"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Failed > 0 || rep.Summary.AssumptionFailed > 0 {
		rep.WriteSummary(&out)
		t.Errorf("suite against the reference: %+v\n%s", rep.Summary, out.String())
	}
	for _, s := range rep.Scenarios {
		if s.Status == "skipped" {
			s := s
			t.Run("skipped/"+s.Name, func(t *testing.T) {
				if !expectedSkips[s.Reason] {
					t.Errorf("%s: skipped (%s), want it to run against the reference", s.Location, s.Reason)
				}
				t.Skip(s.Location + ": " + s.Reason)
			})
		}
	}
	for _, id := range rep.IDs {
		if strings.HasPrefix(id.ID, "EI-") && id.Status != "passed" {
			t.Errorf("%s (%s) = %s, want passed against the reference", id.ID, id.Title, id.Status)
		}
	}
}

// teethMutants are the deliberately broken reference variants every one of which some @core
// scenario must catch.
var teethMutants = []string{
	"export-task-id", "accept-bad-signature", "unchecked-oss-prefix", "image-exporting-status",
	"no-quota", "finished-without-object", "taskset-array",
}

// TestSuite_Teeth runs the @core scenarios against each broken variant of the reference, in
// parallel (each has its own server), and wants at least one failure from each. A run stops
// at its first failure: one is all it takes.
func TestSuite_Teeth(t *testing.T) {
	if testing.Short() {
		t.Skip("teeth: one @core run per mutant")
	}
	known := map[string]bool{}
	for _, m := range reference.Mutants() {
		known[m] = true
	}
	var mu sync.Mutex
	caught := map[string][]string{}
	t.Run("mutants", func(t *testing.T) {
		for _, m := range teethMutants {
			m := m
			t.Run(m, func(t *testing.T) {
				t.Parallel()
				if !known[m] {
					t.Fatalf("reference.Mutants() has no %q", m)
				}
				_, cfg := startReference(t, reference.WithMutant(m))
				rep, err := Run(RunOptions{Config: cfg, Tags: "@core", Output: io.Discard, Format: "progress",
					StopOnFailure: true, Paths: cheapFirst(t)})
				if err != nil {
					t.Fatal(err)
				}
				var failed []string
				for _, s := range rep.Scenarios {
					if s.Status == "failed" {
						failed = append(failed, s.Location+" "+s.Name)
					}
				}
				if len(failed) == 0 {
					t.Errorf("mutant %q passed every @core scenario (%d run), want at least one failure", m, rep.Summary.Scenarios)
				}
				sort.Strings(failed)
				mu.Lock()
				caught[m] = failed
				mu.Unlock()
			})
		}
	})
	for _, m := range teethMutants {
		if f := caught[m]; len(f) > 0 {
			t.Logf("%-24s caught by %d @core scenarios, e.g. %s", m, len(f), f[0])
		}
	}
}

// cheapFirst lists every feature file, those with few exports first, so a teeth run that
// stops at its first failure gets there soon. Every @core scenario still runs until then.
func cheapFirst(t *testing.T) []string {
	rank := func(p string) int {
		switch {
		case strings.HasPrefix(p, "protocol/"):
			return 0
		case p == "export/quotas.feature" || p == "export/parameters.feature":
			return 1
		case strings.HasPrefix(p, "tasks/"):
			return 2
		}
		return 3
	}
	paths, err := fs.Glob(features.FS, "*/*.feature")
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(paths, func(i, j int) bool { return rank(paths[i]) < rank(paths[j]) })
	return paths
}

// BenchmarkSuite is the wall time of one whole default run (every scenario, @costly ones
// included: they are free on the reference's virtual clock) against a fresh embedded
// reference.
func BenchmarkSuite(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ref, err := StartReference()
		if err != nil {
			b.Fatal(err)
		}
		cfg, err := ref.Config()
		if err != nil {
			b.Fatal(err)
		}
		rep, err := Run(RunOptions{Config: cfg, Output: io.Discard, Format: "progress"})
		ref.Close()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Verdict != "pass" {
			b.Fatalf("suite failed against the reference: %+v", rep.Summary)
		}
		b.ReportMetric(float64(rep.Summary.Scenarios), "scenarios/op")
	}
}
