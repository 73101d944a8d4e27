package report

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/exportimage/eic/steps"
)

// Diff is a run compared with a baseline. A CI gate fails on Regressions only.
type Diff struct {
	Baseline string `json:"baseline"`
	// Regressions: a scenario that fails now and passed (or was skipped, or did not exist) in
	// the baseline, or a known failure whose reason changed.
	Regressions []Change `json:"regressions"`
	// KnownFailures fail now as they did in the baseline, for the same reason.
	KnownFailures []Change `json:"knownFailures"`
	// Improvements pass now but are listed as failing in the baseline: remove them from it.
	Improvements []Change `json:"improvements"`
	// Unmatched are hand-written entries that name no scenario of this run (a typo, a renamed
	// scenario, or one the tag selection left out); they accept nothing.
	Unmatched []Change `json:"unmatched,omitempty"`
}

// Change is one scenario (or hand-written entry) in a Diff.
type Change struct {
	ID       string `json:"id"` // stable scenario ID, or the entry's ID
	Name     string `json:"name,omitempty"`
	Location string `json:"location,omitempty"`
	Was      string `json:"was"` // baseline status: passed, failed, skipped, absent, or "listed" (hand-written)
	Now      string `json:"now"` // passed, failed, skipped, undefined
	// Why says in one sentence how it was classified.
	Why string `json:"why"`
	// Reason is the baseline's reason (the earlier failing assertion, or the entry's text).
	Reason string `json:"reason,omitempty"`
	// Failure is the current failing assertion (first line of the error, masked).
	Failure string `json:"failure,omitempty"`
}

// ScenarioID is the stable ID of a result; results of reports written before IDs existed
// fall back to location and name.
func ScenarioID(s steps.ScenarioResult) string {
	if s.ID != "" {
		return s.ID
	}
	return s.Location + " " + s.Name
}

// counted reports whether a scenario's failure counts against the verdict (an @assumption
// failure does only with strict).
func counted(s steps.ScenarioResult, strict bool) bool {
	return (s.Status == "failed" || s.Status == "undefined") && (strict || !s.Assumption() || s.Status == "undefined")
}

// Assertion is the failing assertion of a result: the first line of its error, masked.
func Assertion(s steps.ScenarioResult) string {
	line, _, _ := strings.Cut(s.Error, "\n")
	return Mask(strings.TrimSpace(line))
}

// volatile are the parts of a failing assertion that differ between two runs of the same
// failure (task and request IDs, times, ports); a reason is compared without them.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`), "<uuid>"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?`), "<time>"},
	{regexp.MustCompile(`\bt-[0-9a-z]{4,}`), "<task>"},
	{regexp.MustCompile(`[0-9A-Fa-f]{16,}`), "<hex>"},
	{regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`), "<host>"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ms|s|µs)\b`), "<duration>"},
}

// NormalizeReason strips the volatile parts of a failing assertion.
func NormalizeReason(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return strings.TrimSpace(s)
}

// Compare classifies the scenarios of cur against the baseline. Failures that do not count
// against cur's verdict (@assumption ones without --strict) are left out, as are scenarios
// that pass now and passed before.
func Compare(base *Baseline, cur steps.Report) Diff {
	d := Diff{Baseline: base.Source}
	if base.Report != nil {
		d.compareReports(*base.Report, cur)
	} else {
		d.compareEntries(base.Entries, cur)
	}
	for _, list := range [][]Change{d.Regressions, d.KnownFailures, d.Improvements} {
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	}
	return d
}

func (d *Diff) compareReports(old, cur steps.Report) {
	before := map[string]steps.ScenarioResult{}
	for _, s := range old.Scenarios {
		before[ScenarioID(s)] = s
	}
	for _, s := range cur.Scenarios {
		id := ScenarioID(s)
		was, existed := before[id]
		c := Change{ID: id, Name: s.Name, Location: s.Location, Now: s.Status, Was: "absent"}
		oldFailed := existed && counted(was, old.Strict || cur.Strict)
		if existed {
			c.Was = was.Status
		}
		if oldFailed {
			c.Reason = Assertion(was)
		}
		switch {
		case counted(s, cur.Strict) && oldFailed:
			c.Failure = Assertion(s)
			if NormalizeReason(c.Failure) == NormalizeReason(c.Reason) {
				c.Why = "fails as in the baseline"
				d.KnownFailures = append(d.KnownFailures, c)
			} else {
				c.Why = "known failure, but its reason changed"
				d.Regressions = append(d.Regressions, c)
			}
		case counted(s, cur.Strict):
			c.Failure = Assertion(s)
			if existed {
				c.Why = was.Status + " in the baseline, fails now"
			} else {
				c.Why = "not in the baseline, fails now"
			}
			d.Regressions = append(d.Regressions, c)
		case s.Status == "passed" && oldFailed:
			c.Why = "failed in the baseline, passes now: remove it from the baseline"
			d.Improvements = append(d.Improvements, c)
		}
	}
}

func (d *Diff) compareEntries(entries []Entry, cur steps.Report) {
	type tally struct{ passed, failed, seen int }
	byEntry := map[string]*tally{}
	for _, e := range entries {
		byEntry[e.ID] = &tally{}
	}
	for _, s := range cur.Scenarios {
		id := ScenarioID(s)
		entry, listed := matchEntry(entries, s)
		if listed {
			t := byEntry[entry.ID]
			t.seen++
			switch {
			case counted(s, cur.Strict):
				t.failed++
			case s.Status == "passed":
				t.passed++
			}
		}
		if !counted(s, cur.Strict) {
			continue
		}
		c := Change{ID: id, Name: s.Name, Location: s.Location, Now: s.Status, Was: "absent", Failure: Assertion(s)}
		switch {
		case !listed:
			c.Why = "not in the baseline, fails now"
			d.Regressions = append(d.Regressions, c)
		case entry.Pin() != "" && !strings.Contains(s.Error, entry.Pin()):
			c.Was, c.Reason = "listed", entry.Reason
			c.Why = fmt.Sprintf("known failure (baseline line %d), but the failure no longer contains %q: its reason changed", entry.Line, entry.Pin())
			d.Regressions = append(d.Regressions, c)
		default:
			c.Was, c.Reason = "listed", entry.Reason
			c.Why = fmt.Sprintf("known failure (baseline line %d: %s)", entry.Line, entry.ID)
			if entry.ID == id {
				c.Why = fmt.Sprintf("known failure (baseline line %d)", entry.Line)
			}
			d.KnownFailures = append(d.KnownFailures, c)
		}
	}
	for _, e := range entries {
		t := byEntry[e.ID]
		if t.seen == 0 {
			d.Unmatched = append(d.Unmatched, Change{ID: e.ID, Was: "listed", Now: "absent", Reason: e.Reason,
				Why: fmt.Sprintf("baseline line %d names no scenario of this run", e.Line)})
		}
		if t.failed == 0 && t.passed > 0 {
			d.Improvements = append(d.Improvements, Change{ID: e.ID, Was: "listed", Now: "passed", Reason: e.Reason,
				Why: fmt.Sprintf("listed on baseline line %d, but every scenario it names passes now (%d): remove it from the baseline", e.Line, t.passed)})
		}
	}
}

// matchEntry finds the entry naming the scenario: by its stable ID first, then by one of its
// rule or error tags.
func matchEntry(entries []Entry, s steps.ScenarioResult) (Entry, bool) {
	id := ScenarioID(s)
	for _, e := range entries {
		if e.ID == id {
			return e, true
		}
	}
	for _, e := range entries {
		if !e.IsRuleOrError() {
			continue
		}
		for _, t := range s.Tags {
			if t == "@"+e.ID {
				return e, true
			}
		}
	}
	return Entry{}, false
}

// Apply makes the report's verdict rest on the comparison: fail when there is a regression;
// otherwise the verdict the report would have without its known failures (pass, or
// inconclusive when nothing was proven, or fail on message drift with --strict).
func Apply(rep *steps.Report, d Diff) {
	known := len(d.KnownFailures)
	if len(d.Regressions) > 0 {
		rep.Verdict = steps.VerdictFail
		rep.Reason = fmt.Sprintf("%d regression(s) against the baseline %s (%d known failure(s) accepted)", len(d.Regressions), d.Baseline, known)
		return
	}
	without := *rep
	without.Summary.Failed -= known
	if without.Summary.Failed < 0 {
		without.Summary.Failed = 0
	}
	without.Decide()
	rep.Verdict, rep.Reason = without.Verdict, without.Reason
	if known > 0 {
		note := fmt.Sprintf("no regression against the baseline %s; %d known failure(s) accepted", d.Baseline, known)
		if rep.Reason == "" {
			rep.Reason = note
		} else {
			rep.Reason += "; " + note
		}
	}
}

// WriteSummary prints the comparison: one count line, then each regression, known failure and
// improvement on a line of its own.
func (d Diff) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "eic: baseline %s: %d regression(s), %d known failure(s), %d improvement(s)\n",
		d.Baseline, len(d.Regressions), len(d.KnownFailures), len(d.Improvements))
	for _, c := range d.Regressions {
		fmt.Fprintf(w, "eic: REGRESSION %s (%s): %s\n", c.ID, c.Location, c.Why)
		if c.Reason != "" {
			fmt.Fprintf(w, "eic:   baseline: %s\n", c.Reason)
		}
		if c.Failure != "" {
			fmt.Fprintf(w, "eic:   now:      %s\n", c.Failure)
		}
	}
	for _, c := range d.KnownFailures {
		fmt.Fprintf(w, "eic: known failure %s: %s\n", c.ID, c.Why)
	}
	for _, c := range d.Improvements {
		fmt.Fprintf(w, "eic: improvement %s: %s\n", c.ID, c.Why)
	}
	for _, c := range d.Unmatched {
		fmt.Fprintf(w, "eic: baseline entry %s: %s\n", c.ID, c.Why)
	}
}

// KnownFailure returns, for eic run's JUnit file, whether the baseline accepts one scenario's
// failure (and why): the classification Compare gives that scenario on its own.
func KnownFailure(base *Baseline, strict bool) func(steps.ScenarioResult) (string, bool) {
	return func(s steps.ScenarioResult) (string, bool) {
		d := Compare(base, steps.Report{Scenarios: []steps.ScenarioResult{s}, Strict: strict})
		if len(d.KnownFailures) == 1 {
			return d.KnownFailures[0].Why, true
		}
		return "", false
	}
}
