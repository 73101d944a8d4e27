package steps

import (
	"bytes"
	"fmt"
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

// teethMutants maps each deliberately broken reference variant to the documented ID it
// breaks: the @core scenarios citing that ID must catch it (not just any scenario).
var teethMutants = map[string]string{
	"export-task-id":          "EI-R18",
	"accept-bad-signature":    "EI-P1",
	"unchecked-oss-prefix":    "EI-R2",
	"prefix-31":               "EI-R2",
	"image-exporting-status":  "EI-R16",
	"no-quota":                "EI-R17",
	"quota-off-by-one":        "EI-R17",
	"finished-without-object": "EI-R19",
	"taskset-array":           "EI-P6",
}

// TestSuite_Teeth runs, against each broken variant of the reference, the @core scenarios
// of the rule the mutant breaks, in parallel (each has its own server), and wants one of them
// to fail. A run stops at its first failure: one is all it takes.
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
		for m, id := range teethMutants {
			m, id := m, id
			t.Run(m, func(t *testing.T) {
				t.Parallel()
				if !known[m] {
					t.Fatalf("reference.Mutants() has no %q", m)
				}
				_, cfg := startReference(t, reference.WithMutant(m))
				rep, err := Run(RunOptions{Config: cfg, Tags: "@core && @" + id, Output: io.Discard, Format: "progress",
					StopOnFailure: true, Paths: cheapFirst(t)})
				if err != nil {
					t.Fatal(err)
				}
				var failed []string
				for _, s := range rep.Scenarios {
					if s.Status == "failed" && s.has("@"+id) {
						failed = append(failed, s.Location+" "+s.Name)
					}
				}
				if len(failed) == 0 {
					t.Errorf("mutant %q passed every @core scenario of %s (%d run), want one to fail", m, id, rep.Summary.Scenarios)
				}
				mu.Lock()
				caught[m] = failed
				mu.Unlock()
			})
		}
	})
	for m, id := range teethMutants {
		if f := caught[m]; len(f) > 0 {
			t.Logf("%-24s caught by @core %s: %s", m, id, f[0])
		}
	}
}

// precisionVariants maps each permitted-behaviour variant of the reference to evidence that
// it took effect in the run (nil: none visible in the report; @core passing is the test).
var precisionVariants = map[string]func(Report) string{
	"processing-at-once": nil,
	"lagging-cancel":     nil,
	"current-doc-messages": func(r Report) string {
		if len(r.Drift) > 0 {
			return fmt.Sprintf("the current document's wording counted as drift: %+v", r.Drift[0])
		}
		return ""
	},
	"bucket-region-not-found": func(r Report) string {
		return assumptionFailed(r, "a bucket in another region is NotMatched, naming the regions")
	},
	"dryrun-ignored": func(r Report) string {
		for _, t := range r.Created.Tasks {
			if t.Purpose == "validation" {
				if !t.Cancelled {
					return "validation task " + t.TaskID + " not cancelled: " + t.CancelError
				}
				return ""
			}
		}
		return "no validation check was answered with a task"
	},
}

func assumptionFailed(r Report, name string) string {
	for _, s := range r.Scenarios {
		if s.Name == name && s.Status == "failed" {
			return ""
		}
	}
	return fmt.Sprintf("@assumption %q did not fail: the variant had no effect", name)
}

// TestSuite_Precision is the opposite of the teeth test: against the reference showing, one
// at a time, behaviours the document permits but the reference does not do by default, every
// @core scenario must pass. A failure means a @core scenario asserts more than the document.
func TestSuite_Precision(t *testing.T) {
	if testing.Short() {
		t.Skip("precision: one full run per variant")
	}
	if len(precisionVariants) < 5 {
		t.Fatalf("%d variants, want at least 5", len(precisionVariants))
	}
	for _, v := range reference.Variants() {
		if _, ok := precisionVariants[v]; !ok {
			t.Errorf("reference variant %q is not in the precision test", v)
		}
	}
	for v, evidence := range precisionVariants {
		v, evidence := v, evidence
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			_, cfg := startReference(t, reference.WithVariant(v))
			var out bytes.Buffer
			// Every @core scenario but the image-format round trips (CPU-heavy, untouched by
			// any variant; TestSuite runs them), and the rule of the one variant whose evidence
			// is an @assumption scenario failing.
			rep, err := Run(RunOptions{Config: cfg, Tags: "@core && ~@EI-R3,@EI-R14", Output: &out, Format: "progress"})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range rep.Scenarios {
				if (s.Status == "failed" || s.Status == "undefined") && !s.Assumption() {
					t.Errorf("@core %s %s fails against a permitted variant (%s):\n%s", s.Location, s.Name, reference.VariantDescription(v), s.Error)
				}
			}
			if rep.Summary.Passed == 0 {
				t.Errorf("no scenario passed: %+v", rep.Summary)
			}
			if evidence != nil {
				if msg := evidence(rep); msg != "" {
					t.Errorf("variant %s: %s", v, msg)
				}
			}
		})
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

// A request the scenario expected to be refused but the endpoint accepted creates a task the
// suite did not mean to create: it is cancelled at once and listed in the report.
func TestRun_UnintendedTaskCancelled(t *testing.T) {
	_, cfg := startReference(t, reference.WithMutant("unchecked-oss-prefix"))
	rep, err := Run(RunOptions{Config: cfg, Tags: "@core && @EI-E05", Output: io.Discard, Format: "progress"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != VerdictFail {
		t.Errorf("verdict = %q, want fail", rep.Verdict)
	}
	var unintended int
	for _, task := range rep.Created.Tasks {
		if task.Purpose == "unintended" {
			unintended++
			if !task.Cancelled || task.Location == "" {
				t.Errorf("unintended task %+v, want cancelled and located", task)
			}
		}
	}
	if unintended == 0 {
		t.Errorf("created tasks = %+v, want the accepted malformed-prefix exports listed as unintended", rep.Created.Tasks)
	}
	var out bytes.Buffer
	rep.WriteSummary(&out)
	if !strings.Contains(out.String(), "eic: unintended task ") {
		t.Errorf("summary does not list the unintended tasks:\n%s", out.String())
	}
}
