package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildReport_VerdictAndCoverage(t *testing.T) {
	results := []ScenarioResult{
		{Name: "a", Tags: []string{"@core", "@EI-R2", "@EI-E05"}, Status: "passed"},
		{Name: "b", Tags: []string{"@core", "@EI-R1", "@EI-E01"}, Status: "skipped", Reason: "fixture missing"},
		{Name: "c", Tags: []string{"@assumption", "@EI-E25"}, Status: "failed", Error: "boom"},
	}
	rep := BuildReport(results, false)
	if rep.Verdict != "pass" || rep.ExitCode() != 0 {
		t.Errorf("verdict = %q, want pass (an @assumption failure is reported apart)", rep.Verdict)
	}
	if rep.Summary.AssumptionFailed != 1 || rep.Summary.Skipped != 1 || rep.Summary.Passed != 1 {
		t.Errorf("summary = %+v", rep.Summary)
	}
	status := map[string]IDResult{}
	for _, id := range rep.IDs {
		status[id.ID] = id
	}
	for id, want := range map[string]string{"EI-R2": "passed", "EI-E05": "passed", "EI-R1": "skipped", "EI-E25": "assumption-failed", "EI-R3": "not-run"} {
		if got := status[id].Status; got != want {
			t.Errorf("%s status = %q, want %q", id, got, want)
		}
	}
	if r := status["EI-R1"].Reasons; len(r) != 1 || r[0] != "fixture missing" {
		t.Errorf("EI-R1 reasons = %q", r)
	}
	if rep.Coverage.Rules.Passed != 1 || rep.Coverage.Errors.Passed != 1 || rep.Coverage.Rules.Documented != 28 {
		t.Errorf("coverage = %+v", rep.Coverage)
	}
	if strict := BuildReport(results, true); strict.Verdict != "fail" || strict.ExitCode() != 1 {
		t.Errorf("strict verdict = %q, want fail", strict.Verdict)
	}
	results = append(results, ScenarioResult{Name: "d", Tags: []string{"@core", "@EI-R2"}, Status: "failed"})
	if rep := BuildReport(results, false); rep.Verdict != "fail" || status["EI-R2"].Status != "passed" {
		t.Errorf("verdict with a @core failure = %q, want fail", rep.Verdict)
	} else if got := idStatus(rep, "EI-R2"); got != "failed" {
		t.Errorf("EI-R2 with one failing scenario = %q, want failed", got)
	}
}

func idStatus(rep Report, id string) string {
	for _, r := range rep.IDs {
		if r.ID == id {
			return r.Status
		}
	}
	return ""
}

func TestReport_Decide(t *testing.T) {
	pass := ScenarioResult{Name: "a", Tags: []string{"@core", "@EI-R2"}, Status: "passed"}
	skip := ScenarioResult{Name: "b", Tags: []string{"@core", "@EI-R1"}, Status: "skipped", Reason: "no credentials"}
	fail := ScenarioResult{Name: "c", Tags: []string{"@core", "@EI-R3"}, Status: "failed"}
	untagged := ScenarioResult{Name: "d", Status: "passed"}
	drift := []MessageDrift{{ID: "EI-E16", Code: "InvalidOSSBucket.NotFound", Documented: "x", Got: "y"}}
	tests := []struct {
		name     string
		results  []ScenarioResult
		strict   bool
		min      float64
		drift    []MessageDrift
		intr     string
		want     string
		exit     int
		inReason string
	}{
		{"one passed", []ScenarioResult{pass, skip}, false, 0, nil, "", VerdictPass, 0, ""},
		{"one failed", []ScenarioResult{pass, fail}, false, 0, nil, "", VerdictFail, 1, "1 scenario"},
		{"nothing selected", nil, false, 0, nil, "", VerdictInconclusive, 3, "no scenario selected"},
		{"all skipped", []ScenarioResult{skip, skip}, false, 0, nil, "", VerdictInconclusive, 3, "2: no credentials"},
		{"passed but proved no ID", []ScenarioResult{untagged, skip}, false, 0, nil, "", VerdictInconclusive, 3, "no documented rule"},
		{"own regressions only", []ScenarioResult{untagged}, false, 0, nil, "", VerdictPass, 0, ""},
		{"own regressions under an explicit minimum", []ScenarioResult{untagged}, false, 0.1, nil, "", VerdictInconclusive, 3, "--min-coverage"},
		{"under min coverage", []ScenarioResult{pass}, false, 0.5, nil, "", VerdictInconclusive, 3, "--min-coverage 50%"},
		{"drift reported", []ScenarioResult{pass}, false, 0, drift, "", VerdictPass, 0, ""},
		{"drift strict", []ScenarioResult{pass}, true, 0, drift, "", VerdictFail, 1, "message drift"},
		{"interrupted after a pass and a failure", []ScenarioResult{pass, fail}, false, 0, nil, "signal", VerdictInconclusive, 3, "interrupted by signal: 1 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := BuildReport(tt.results, tt.strict)
			rep.MinCoverage, rep.Drift, rep.Interrupted = tt.min, tt.drift, tt.intr
			rep.Decide()
			if rep.Verdict != tt.want || rep.ExitCode() != tt.exit || !strings.Contains(rep.Reason, tt.inReason) {
				t.Errorf("verdict = %q exit %d reason %q, want %q exit %d reason containing %q",
					rep.Verdict, rep.ExitCode(), rep.Reason, tt.want, tt.exit, tt.inReason)
			}
		})
	}
}

func TestCheckKnownTags(t *testing.T) {
	pickles := []pickleInfo{{tags: []string{"@core", "@EI-R1"}}, {tags: []string{"@assumption", "@costly"}}}
	for expr, want := range map[string]string{
		"":                      "",
		"@core":                 "",
		"core && ~@costly":      "",
		"@EI-R1,@assumption":    "",
		"@cor":                  "no scenario carries @cor (did you mean @core?)",
		"@core && ~@cosly":      "no scenario carries @cosly (did you mean @costly?)",
		"@core && @nothinglike": "no scenario carries @nothinglike\"",
	} {
		err := checkKnownTags(expr, pickles)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v, want no error", expr, err)
		case want != "" && (err == nil || !strings.Contains(err.Error()+"\"", want)):
			t.Errorf("%q: %v, want an error containing %q", expr, err, want)
		}
	}
}

// WriteFile writes the JSON eic run --report documents: indented, newline-terminated, and
// read back to the same report; a path that cannot be written is an error.
func TestReport_WriteFile(t *testing.T) {
	rep := BuildReport([]ScenarioResult{{ID: "EI-R1/ok", Name: "ok", Status: "passed", Tags: []string{"@core", "@EI-R1"}}}, false)
	path := filepath.Join(t.TempDir(), "report.json")
	if err := rep.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "{\n  \"") || !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("not indented, newline-terminated JSON: %.40q…", data)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Verdict != rep.Verdict || back.Verdict == "" || len(back.Scenarios) != 1 || back.Scenarios[0].ID != "EI-R1/ok" {
		t.Errorf("read back %q with %d scenarios, wrote %q", back.Verdict, len(back.Scenarios), rep.Verdict)
	}
	if err := rep.WriteFile(filepath.Join(path, "sub.json")); err == nil {
		t.Error("writing under a file: no error")
	}
}
