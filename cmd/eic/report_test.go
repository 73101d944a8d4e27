package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exportimage/eic/steps"
)

// eic run with a baseline and the page: a hand-written entry for a rule that passes now is an
// improvement, the verdict stays PASS, and the page and the JUnit file are written.
func TestRun_BaselineAndPage(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.txt")
	if err := os.WriteFile(base, []byte("# known\nEI-R2  prefix checks are lax (PROJ-3)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	page, junit, rep := filepath.Join(dir, "page.html"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "r.json")
	code, stdout, stderr := run(t, "run", "--tags", "@EI-R2", "--baseline", base, "--format", "junit:"+junit+",html:"+page, "--report", rep)
	if code != 0 {
		t.Fatalf("eic run = %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "0 regression(s), 0 known failure(s), 1 improvement(s)") || !strings.Contains(stderr, "improvement EI-R2") {
		t.Errorf("summary does not count the improvement:\n%s", stderr)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PASS", "Improvements (1)", "EI-R2", "Coverage matrix"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if _, err := os.Stat(junit); err != nil {
		t.Error(err)
	}

	// The stored report renders again, and diffs against itself with no regression.
	again := filepath.Join(dir, "again.html")
	if code, _, stderr := run(t, "report", "html", rep, "-o", again); code != 0 {
		t.Errorf("eic report html = %d: %s", code, stderr)
	}
	if code, stdout, _ := run(t, "report", "diff", rep, rep); code != 0 || !strings.Contains(stdout, "0 regression(s)") {
		t.Errorf("eic report diff R R = %d: %s", code, stdout)
	}
}

func TestReport_DiffExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, scenarios ...steps.ScenarioResult) string {
		data, err := json.Marshal(steps.BuildReport(scenarios, false))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ok := steps.ScenarioResult{ID: "EI-R1/a", Name: "a", Location: "x.feature:1", Status: "passed", Tags: []string{"@core", "@EI-R1"}}
	bad := ok
	bad.Status, bad.Error = "failed", "status = 200, want an error"
	old, cur := write("old.json", ok), write("new.json", bad)
	if code, stdout, _ := run(t, "report", "diff", old, cur); code != 1 || !strings.Contains(stdout, "REGRESSION EI-R1/a") {
		t.Errorf("eic report diff with a regression = %d, %q; want 1 naming it", code, stdout)
	}
	if code, stdout, _ := run(t, "report", "diff", cur, old); code != 0 || !strings.Contains(stdout, "improvement EI-R1/a") {
		t.Errorf("eic report diff with an improvement = %d, %q; want 0 naming it", code, stdout)
	}
	for _, args := range [][]string{{"diff", old}, {"diff", old, filepath.Join(dir, "none.json")}, {"html", old}, {"nosuch"}} {
		if code, _, _ := run(t, append([]string{"report"}, args...)...); code != 2 {
			t.Errorf("eic report %v = %d, want 2", args, code)
		}
	}
}
