package steps

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/exportimage/eic/spec"
)

// The report of a run: its types (the JSON of eic run --report), how results become a verdict
// and coverage, and the summary eic run prints. Results (results.go) collects what it reads.

// Verdicts of a run (Report.Verdict).
const (
	// VerdictPass: at least one scenario ran and passed, no counted scenario failed, and the
	// coverage of documented IDs reached the minimum. Exit 0.
	VerdictPass = "pass"
	// VerdictFail: a counted scenario failed (an @assumption one only with --strict), or
	// message drift was found with --strict. Exit 1.
	VerdictFail = "fail"
	// VerdictInconclusive: nothing was proven — no scenario selected, every selected
	// scenario skipped, scenarios citing documented IDs selected but none of them passed,
	// or coverage below the minimum. Report.Reason says why. Exit 3.
	VerdictInconclusive = "inconclusive"
)

// Exit codes of eic run, one per verdict plus the one for a run that could not start.
const (
	ExitPass         = 0
	ExitFail         = 1
	ExitCannotStart  = 2 // bad flags, tag expression, endpoint, credentials, token or output file
	ExitInconclusive = 3
)

// Report is the JSON conformance report of one run (eic run --report). It is the one type
// every consumer reads (the summary printed by eic run, the HTML conformance page,
// baselines); fields are only ever added.
type Report struct {
	// Eic is the build of eic that produced the report.
	Eic Version `json:"eic"`
	// Endpoint is the ECS endpoint under test.
	Endpoint string `json:"endpoint"`
	// Profile is what the suite could reach: "embedded-reference" (eic run without
	// --endpoint), "reference" (an endpoint with the reference control API) or "endpoint"
	// (any other endpoint: @reference scenarios skip).
	Profile   string `json:"profile"`
	Reference bool   `json:"reference"` // the endpoint offered the reference control API
	Embedded  bool   `json:"embedded"`  // the embedded reference server was used
	// Clock is the endpoint's clock as the suite saw it: "virtual" (advanced by the suite),
	// "real" (a reference on the wall clock: clock-driven scenarios take minutes) or
	// "endpoint" (no control API: the endpoint's own time, polled in real time).
	Clock     string   `json:"clock"`
	Tags      string   `json:"tags"`
	Features  []string `json:"features,omitempty"` // extra feature folders or files (--features)
	Signature string   `json:"signature"`
	Strict    bool     `json:"strict"`
	// MinCoverage is the share of documented IDs (0..1) that must pass for verdict pass;
	// 0 means "any ID at all".
	MinCoverage float64   `json:"minCoverage"`
	Started     time.Time `json:"started"`
	Duration    string    `json:"duration"`
	// Verdict is pass, fail or inconclusive (see the Verdict constants); ExitCode maps it.
	Verdict string `json:"verdict"`
	// Interrupted names the signal that stopped the run before its end (eic run on Ctrl-C);
	// an interrupted run is inconclusive whatever its counts.
	Interrupted string `json:"interrupted,omitempty"`
	// Reason explains a verdict other than pass, in one sentence.
	Reason    string           `json:"reason,omitempty"`
	Summary   Summary          `json:"summary"`
	Coverage  Coverage         `json:"coverage"`
	IDs       []IDResult       `json:"ids"`
	Scenarios []ScenarioResult `json:"scenarios"`
	// Drift lists error responses whose code and status were right but whose message
	// differs from the documented text and its known variants. Reported, failing only with
	// --strict.
	Drift []MessageDrift `json:"drift"`
	// Created lists every task and OSS object the run created on the endpoint.
	Created Created `json:"created"`
}

// Version identifies an eic build (from runtime/debug.ReadBuildInfo).
type Version struct {
	Module   string `json:"module"`             // module version, "(devel)" for a source build
	Revision string `json:"revision,omitempty"` // VCS revision
	Time     string `json:"time,omitempty"`     // VCS commit time
	Modified bool   `json:"modified,omitempty"` // the working tree had uncommitted changes
	Go       string `json:"go"`
}

// BuildVersion reads the running binary's build information.
func BuildVersion() Version {
	v := Version{Module: "(unknown)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module = bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// MessageDrift is one error response whose wire code and HTTP status matched the expected
// row but whose message matched neither the documented text nor a known variant.
type MessageDrift struct {
	ID         string `json:"id"`   // error row, e.g. EI-E16
	Code       string `json:"code"` // wire code
	Scenario   string `json:"scenario"`
	Location   string `json:"location"`
	Documented string `json:"documented"` // the table's message (may hold %s)
	Got        string `json:"got"`        // the message the endpoint sent
}

// Created is what the run created on the endpoint.
type Created struct {
	Tasks   []CreatedTask   `json:"tasks"`
	Objects []CreatedObject `json:"objects"`
}

// CreatedTask is one export task the run created.
type CreatedTask struct {
	TaskID   string `json:"taskId"`
	Region   string `json:"region"`
	Image    string `json:"image"`
	Bucket   string `json:"bucket"`
	Location string `json:"location"` // the scenario that created it
	// Purpose is why the task exists: "export" (the scenario meant to export), "validation"
	// (a check that a request passes validation was answered with a task instead of
	// DryRunOperation) or "unintended" (the scenario expected a refusal). Tasks of the last
	// two kinds are cancelled at once.
	Purpose   string `json:"purpose"`
	Cancelled bool   `json:"cancelled,omitempty"`
	// CancelError is set when cancelling an unintended task failed: clean it up by hand.
	CancelError string `json:"cancelError,omitempty"`
}

// CreatedObject is one OSS object a task of the run named in its OperationProgressSet.
type CreatedObject struct {
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	TaskID   string `json:"taskId"`
	Location string `json:"location"`
	// Deleted: the suite deleted it after its scenario (not with --keep-objects, nor against a
	// reference read through its control API, whose reset wipes it); DeleteError says why a
	// deletion failed (delete the object by hand).
	Deleted     bool   `json:"deleted"`
	DeleteError string `json:"deleteError,omitempty"`
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
	ID    string `json:"id"`
	Kind  string `json:"kind"` // rule or error
	Title string `json:"title"`
	// Source is where the ID comes from (seed, current-doc, protocol, gateway, …) and Quote
	// the text it rests on: the quoted line for a rule, code and message for an error row.
	Source    string   `json:"source"`
	Quote     string   `json:"quote"`
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
	rep := Report{Strict: strict, Scenarios: results, Summary: summarize(results, strict)}
	var rulesPassed, rulesDoc, errsPassed, errsDoc int
	for _, d := range documentedIDs() {
		id := judge(d, results)
		ok := id.Status == "passed"
		if d.Kind == "rule" {
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
			rep.Coverage.Uncovered = append(rep.Coverage.Uncovered, d.ID)
		}
		rep.IDs = append(rep.IDs, id)
	}
	rep.Coverage.Rules = share(rulesPassed, rulesDoc)
	rep.Coverage.Errors = share(errsPassed, errsDoc)
	rep.Coverage.All = share(rulesPassed+errsPassed, rulesDoc+errsDoc)
	rep.Decide()
	return rep
}

// summarize counts scenarios by outcome; an undefined one counts as failed too, a failed
// @assumption one apart unless strict.
func summarize(results []ScenarioResult, strict bool) Summary {
	var sum Summary
	for _, r := range results {
		sum.Scenarios++
		switch {
		case r.Status == "passed":
			sum.Passed++
		case r.Status == "skipped":
			sum.Skipped++
		case r.Status == "undefined":
			sum.Undefined++
			sum.Failed++
		case r.Assumption() && !strict:
			sum.AssumptionFailed++
		default:
			sum.Failed++
		}
	}
	return sum
}

// documentedIDs lists the spec's rules, then its error rows but those eic invented, each with
// status not-run.
func documentedIDs() []IDResult {
	var ids []IDResult
	for _, r := range spec.MustLoad().Rules {
		ids = append(ids, IDResult{ID: r.ID, Kind: "rule", Title: r.Title, Source: r.Source, Quote: r.Quote, Status: "not-run"})
	}
	for _, c := range spec.Codes() {
		if c.Source == "reference" {
			continue
		}
		ids = append(ids, IDResult{ID: c.ID, Kind: "error", Title: c.Wire + ": " + c.Message(), Source: c.Source,
			Quote: fmt.Sprintf("%d %s: %s", c.Status(), c.Wire, c.Message()), Status: "not-run"})
	}
	return ids
}

// judge gives the verdict on documented ID id from the scenarios tagged with it: failed if
// one failed, else assumption-failed, passed, skipped (with the reasons) or not-run.
func judge(id IDResult, results []ScenarioResult) IDResult {
	var passed, failed, assumptionFailed, skipped int
	reasons := map[string]bool{}
	for _, r := range results {
		if !r.has("@" + id.ID) {
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
	return id
}

// Decide sets Verdict and Reason from the counts, Strict, MinCoverage and Drift: inconclusive
// when the run was interrupted; fail when a
// counted scenario failed (or, with Strict, on message drift); otherwise inconclusive when no
// scenario was selected, none ran (all skipped) or coverage is under MinCoverage; otherwise
// pass.
func (r *Report) Decide() {
	r.Verdict, r.Reason = VerdictPass, ""
	sum := r.Summary
	switch {
	case r.Interrupted != "":
		// Scenarios cut off by the interrupt fail for want of time, not of conformance.
		r.Verdict = VerdictInconclusive
		r.Reason = fmt.Sprintf("interrupted by %s: %d of %d scenario(s) passed, %d failed (the last ones may be the interrupt itself)",
			r.Interrupted, sum.Passed, sum.Scenarios, sum.Failed)
	case sum.Failed > 0:
		r.Verdict = VerdictFail
		r.Reason = fmt.Sprintf("%d scenario(s) failed", sum.Failed)
	case r.Strict && len(r.Drift) > 0:
		r.Verdict = VerdictFail
		r.Reason = fmt.Sprintf("message drift in %d response(s) (--strict)", len(r.Drift))
	case sum.Scenarios == 0:
		r.Verdict = VerdictInconclusive
		r.Reason = "no scenario selected (tag expression " + strconvQuote(r.Tags) + " matches none)"
	case sum.Passed == 0:
		r.Verdict = VerdictInconclusive
		r.Reason = "no scenario ran: every selected scenario was skipped (" + r.skipCauses() + ")"
	case r.Coverage.All.Passed == 0 && r.citesIDs():
		r.Verdict = VerdictInconclusive
		r.Reason = "no documented rule or error row was proven by a passing scenario"
	case r.MinCoverage > 0 && r.Coverage.All.Share < r.MinCoverage:
		r.Verdict = VerdictInconclusive
		r.Reason = fmt.Sprintf("coverage %.0f%% of documented IDs is under --min-coverage %.0f%%",
			100*r.Coverage.All.Share, 100*r.MinCoverage)
	}
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// citesIDs reports whether a selected scenario cites a documented ID. A run of untagged
// scenarios only (a user's regressions, fuzz findings) is judged by its scenarios alone.
func (r Report) citesIDs() bool {
	for _, id := range r.IDs {
		if len(id.Scenarios) > 0 {
			return true
		}
	}
	return false
}

// skipCauses names the most frequent skip reasons, most frequent first (at most three).
func (r Report) skipCauses() string {
	count := map[string]int{}
	for _, s := range r.Scenarios {
		if s.Status == "skipped" {
			count[s.Reason]++
		}
	}
	reasons := make([]string, 0, len(count))
	for k := range count {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if count[reasons[i]] != count[reasons[j]] {
			return count[reasons[i]] > count[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	var parts []string
	for i, k := range reasons {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d other reason(s)", len(reasons)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%d: %s", count[k], k))
	}
	return strings.Join(parts, "; ")
}

// ExitCode maps the verdict: 0 pass, 1 fail, 3 inconclusive.
func (r Report) ExitCode() int {
	switch r.Verdict {
	case VerdictPass:
		return ExitPass
	case VerdictInconclusive:
		return ExitInconclusive
	}
	return ExitFail
}

// WriteSummary prints the human summary: counts, coverage, the reason of a verdict other
// than pass, failures, assumption failures (apart), message drift (both texts) and skip
// reasons.
func (r Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "\neic: %d scenarios: %d passed, %d failed, %d assumption failures (reported apart), %d skipped, %d undefined, %d message drift — verdict %s\n",
		r.Summary.Scenarios, r.Summary.Passed, r.Summary.Failed, r.Summary.AssumptionFailed, r.Summary.Skipped, r.Summary.Undefined, len(r.Drift), strings.ToUpper(r.Verdict))
	fmt.Fprintf(w, "eic: coverage: rules %d/%d, error rows %d/%d (%.0f%% of documented IDs with a passing scenario)\n",
		r.Coverage.Rules.Passed, r.Coverage.Rules.Documented, r.Coverage.Errors.Passed, r.Coverage.Errors.Documented, 100*r.Coverage.All.Share)
	if r.Reason != "" {
		fmt.Fprintf(w, "eic: verdict %s: %s\n", strings.ToUpper(r.Verdict), r.Reason)
	}
	notRun := 0
	for _, s := range r.Scenarios {
		switch {
		case s.Status == "skipped" && s.Reason == reasonInterrupted:
			notRun++
		case s.Status == "failed" && s.Assumption() && !r.Strict:
			fmt.Fprintf(w, "eic: assumption not met: %s %s\n", s.Location, s.Name)
		case s.Status == "failed" || s.Status == "undefined":
			fmt.Fprintf(w, "eic: FAILED %s %s\n", s.Location, s.Name)
		case s.Status == "skipped":
			fmt.Fprintf(w, "eic: skipped %s %s: %s\n", s.Location, s.Name, s.Reason)
		}
	}
	if notRun > 0 {
		fmt.Fprintf(w, "eic: %d scenario(s) %s\n", notRun, reasonInterrupted)
	}
	for _, d := range r.Drift {
		fmt.Fprintf(w, "eic: message drift %s %s (%s): documented %q, got %q\n", d.Location, d.Code, d.ID, d.Documented, d.Got)
	}
	for _, t := range r.Created.Tasks {
		if t.Purpose != "export" {
			state := "cancelled"
			if !t.Cancelled {
				state = "NOT cancelled (" + t.CancelError + "): cancel it by hand"
			}
			fmt.Fprintf(w, "eic: %s task %s in %s created by %s: %s\n", t.Purpose, t.TaskID, t.Region, t.Location, state)
		}
	}
	if n := len(r.Created.Objects); n > 0 {
		deleted := 0
		for _, o := range r.Created.Objects {
			if o.Deleted {
				deleted++
			} else if o.DeleteError != "" {
				fmt.Fprintf(w, "eic: object oss://%s/%s NOT deleted (%s): delete it by hand\n", o.Bucket, o.Key, o.DeleteError)
			}
		}
		fmt.Fprintf(w, "eic: objects: %d created by the run's exports, %d deleted after their scenarios\n", n, deleted)
	}
}

// WriteFile writes r to path as the indented JSON of eic run --report, newline-terminated.
func (r Report) WriteFile(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
