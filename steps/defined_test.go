package steps

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// With no fixtures every scenario must be skipped (account main is missing) and none may
// use a phrase the library does not define.
func TestRun_EveryStepDefinedAndSkippedWithoutFixtures(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	junit, cucumber := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cucumber.json")
	rep, err := Run(RunOptions{Config: &Config{Endpoint: "http://127.0.0.1:1"}, Output: &out,
		Format: "progress,junit:" + junit + ",cucumber:" + cucumber})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Scenarios < 100 {
		t.Errorf("scenarios = %d, want at least 100", rep.Summary.Scenarios)
	}
	for _, s := range rep.Scenarios {
		if s.Status != "skipped" {
			t.Errorf("%s %s: status = %q (%s), want skipped", s.Location, s.Name, s.Status, s.Error)
		}
		if s.Reason == "" {
			t.Errorf("%s %s: skipped without a reason", s.Location, s.Name)
		}
	}
	if rep.Verdict != VerdictInconclusive || rep.ExitCode() != ExitInconclusive {
		t.Errorf("verdict = %q exit %d, want inconclusive exit 3 when everything is skipped", rep.Verdict, rep.ExitCode())
	}
	if !strings.Contains(rep.Reason, `fixture account "main"`) {
		t.Errorf("reason = %q, want the missing account named", rep.Reason)
	}
	// Every output a CI reads says skipped, never passed.
	n := rep.Summary.Scenarios
	if want := fmt.Sprintf("%d scenarios (0 passed, 0 failed, 0 @assumption failed, %d skipped, 0 undefined)", n, n); !strings.Contains(out.String(), want) {
		t.Errorf("godog summary lacks %q:\n%s", want, out.String())
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`tests="%d" failures="0" errors="0" skipped="%d"`, n, n); !strings.Contains(string(data), want) {
		t.Errorf("junit lacks %q", want)
	}
	if c := strings.Count(string(data), `<skipped message="`) - strings.Count(string(data), `<skipped message=""`); c != n {
		t.Errorf("junit: %d <skipped> with the reason, want %d", c, n)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`<testcase name="([^"]*)"`).FindAllStringSubmatch(string(data), -1) {
		if names[m[1]] {
			t.Errorf("junit test name %q twice", m[1])
		}
		names[m[1]] = true
	}
	data, err = os.ReadFile(cucumber)
	if err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(string(data), `"error_message": "skipped: `); c != n {
		t.Errorf("cucumber: %d skipped scenarios with the reason, want %d", c, n)
	}
	if testing.Verbose() {
		t.Log(out.String())
	}
}
