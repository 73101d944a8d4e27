package steps

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/exportimage/eic/spec"
)

// ScenarioResult is the outcome of one scenario (one row of an outline).
type ScenarioResult struct {
	Name     string   `json:"name"`
	Location string   `json:"location"`
	Tags     []string `json:"tags"`
	// Status is passed, failed, skipped or undefined (a step missing from the library).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Reason string `json:"reason,omitempty"` // why it was skipped
}

func (r ScenarioResult) has(tag string) bool {
	for _, t := range r.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Assumption reports whether the scenario checks behaviour the document leaves open.
func (r ScenarioResult) Assumption() bool { return r.has("@assumption") }

// Results collects scenario outcomes; safe for concurrent scenarios.
type Results struct {
	mu        sync.Mutex
	scenarios []ScenarioResult
}

func (r *Results) add(s ScenarioResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scenarios = append(r.scenarios, s)
}

// Scenarios returns the outcomes in the order they finished.
func (r *Results) Scenarios() []ScenarioResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ScenarioResult(nil), r.scenarios...)
}

// Report is the JSON conformance report of one run (eic run --report).
type Report struct {
	Endpoint  string           `json:"endpoint"`
	Reference bool             `json:"reference"` // the endpoint offered the reference control API
	Embedded  bool             `json:"embedded"`  // the embedded reference server was used
	Tags      string           `json:"tags"`
	Signature string           `json:"signature"`
	Strict    bool             `json:"strict"`
	Started   time.Time        `json:"started"`
	Duration  string           `json:"duration"`
	Verdict   string           `json:"verdict"` // pass or fail
	Summary   Summary          `json:"summary"`
	Coverage  Coverage         `json:"coverage"`
	IDs       []IDResult       `json:"ids"`
	Scenarios []ScenarioResult `json:"scenarios"`
}

// Summary counts scenarios.
type Summary struct {
	Scenarios        int `json:"scenarios"`
	Passed           int `json:"passed"`
	Failed           int `json:"failed"` // failures that count against the verdict
	AssumptionFailed int `json:"assumptionFailed"`
	Skipped          int `json:"skipped"`
	Undefined        int `json:"undefined"`
}

// IDResult is the verdict on one documented rule or error row: passed (at least one
// scenario passed, none failed), failed, assumption-failed (only @assumption scenarios
// failed), skipped (every scenario skipped; reasons given) or not-run (no selected scenario
// cites it).
type IDResult struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"` // rule or error
	Title     string   `json:"title"`
	Status    string   `json:"status"`
	Scenarios []string `json:"scenarios,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
}

// Coverage is the share of documented rules and error rows with at least one passing scenario.
type Coverage struct {
	Rules     Share    `json:"rules"`
	Errors    Share    `json:"errors"`
	All       Share    `json:"all"`
	Uncovered []string `json:"uncovered"`
}

// Share is passed out of documented.
type Share struct {
	Documented int     `json:"documented"`
	Passed     int     `json:"passed"`
	Share      float64 `json:"share"`
}

func share(p, d int) Share {
	s := Share{Documented: d, Passed: p}
	if d > 0 {
		s.Share = float64(p) / float64(d)
	}
	return s
}

// BuildReport turns results into a report. Documented IDs are the spec's rules and every
// error row but those eic invented (source "reference").
func BuildReport(results []ScenarioResult, strict bool) Report {
	var rep Report
	rep.Strict = strict
	rep.Scenarios = results
	s := spec.MustLoad()
	type doc struct{ id, kind, title string }
	var docs []doc
	for _, r := range s.Rules {
		docs = append(docs, doc{r.ID, "rule", r.Title})
	}
	for _, c := range spec.Codes() {
		if c.Source == "reference" {
			continue
		}
		docs = append(docs, doc{c.ID, "error", c.Code + ": " + c.Message()})
	}
	for _, r := range results {
		rep.Summary.Scenarios++
		switch {
		case r.Status == "passed":
			rep.Summary.Passed++
		case r.Status == "skipped":
			rep.Summary.Skipped++
		case r.Status == "undefined":
			rep.Summary.Undefined++
			rep.Summary.Failed++
		case r.Assumption() && !strict:
			rep.Summary.AssumptionFailed++
		default:
			rep.Summary.Failed++
		}
	}
	var rulesPassed, rulesDoc, errsPassed, errsDoc int
	for _, d := range docs {
		id := IDResult{ID: d.id, Kind: d.kind, Title: d.title, Status: "not-run"}
		var passed, failed, assumptionFailed, skipped int
		reasons := map[string]bool{}
		for _, r := range results {
			if !r.has("@" + d.id) {
				continue
			}
			id.Scenarios = append(id.Scenarios, r.Location+" "+r.Name+" ["+r.Status+"]")
			switch r.Status {
			case "passed":
				passed++
			case "skipped":
				skipped++
				reasons[r.Reason] = true
			default:
				if r.Assumption() {
					assumptionFailed++
				} else {
					failed++
				}
			}
		}
		switch {
		case failed > 0:
			id.Status = "failed"
		case assumptionFailed > 0:
			id.Status = "assumption-failed"
		case passed > 0:
			id.Status = "passed"
		case skipped > 0:
			id.Status = "skipped"
		}
		for r := range reasons {
			id.Reasons = append(id.Reasons, r)
		}
		sort.Strings(id.Reasons)
		ok := id.Status == "passed"
		if d.kind == "rule" {
			rulesDoc++
			if ok {
				rulesPassed++
			}
		} else {
			errsDoc++
			if ok {
				errsPassed++
			}
		}
		if !ok {
			rep.Coverage.Uncovered = append(rep.Coverage.Uncovered, d.id)
		}
		rep.IDs = append(rep.IDs, id)
	}
	rep.Coverage.Rules = share(rulesPassed, rulesDoc)
	rep.Coverage.Errors = share(errsPassed, errsDoc)
	rep.Coverage.All = share(rulesPassed+errsPassed, rulesDoc+errsDoc)
	rep.Verdict = "pass"
	if rep.Summary.Failed > 0 {
		rep.Verdict = "fail"
	}
	return rep
}

// ExitCode is 0 when the verdict is pass, 1 otherwise.
func (r Report) ExitCode() int {
	if r.Verdict == "pass" {
		return 0
	}
	return 1
}

// WriteSummary prints the human summary: counts, coverage, failures, assumption failures
// (apart) and skip reasons.
func (r Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "\neic: %d scenarios: %d passed, %d failed, %d assumption failures (reported apart), %d skipped, %d undefined — verdict %s\n",
		r.Summary.Scenarios, r.Summary.Passed, r.Summary.Failed, r.Summary.AssumptionFailed, r.Summary.Skipped, r.Summary.Undefined, strings.ToUpper(r.Verdict))
	fmt.Fprintf(w, "eic: coverage: rules %d/%d, error rows %d/%d (%.0f%% of documented IDs with a passing scenario)\n",
		r.Coverage.Rules.Passed, r.Coverage.Rules.Documented, r.Coverage.Errors.Passed, r.Coverage.Errors.Documented, 100*r.Coverage.All.Share)
	for _, s := range r.Scenarios {
		switch {
		case s.Status == "failed" && s.Assumption() && !r.Strict:
			fmt.Fprintf(w, "eic: assumption not met: %s %s\n", s.Location, s.Name)
		case s.Status == "failed" || s.Status == "undefined":
			fmt.Fprintf(w, "eic: FAILED %s %s\n", s.Location, s.Name)
		case s.Status == "skipped":
			fmt.Fprintf(w, "eic: skipped %s %s: %s\n", s.Location, s.Name, s.Reason)
		}
	}
}
