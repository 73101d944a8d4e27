package steps

import (
	"bytes"
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
	if rep.ExitCode() != 0 {
		t.Errorf("exit = %d, want 0 when everything is skipped", rep.ExitCode())
	}
	if testing.Verbose() {
		t.Log(out.String())
	}
}
