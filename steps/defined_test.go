package steps

import (
	"bytes"
	"strings"
	"testing"
)

// With no fixtures every scenario must be skipped (account main is missing) and none may
// use a phrase the library does not define.
func TestRun_EveryStepDefinedAndSkippedWithoutFixtures(t *testing.T) {
	var out bytes.Buffer
	rep, err := Run(RunOptions{Config: &Config{Endpoint: "http://127.0.0.1:1"}, Output: &out, Format: "progress"})
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
	if testing.Verbose() {
		t.Log(out.String())
	}
}
