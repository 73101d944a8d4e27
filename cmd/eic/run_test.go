package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun_StartErrors(t *testing.T) {
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"--signature", "v2"}, `--signature "v2"`},
		{[]string{"--format", "html"}, `unknown formatter "html"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--endpoint", "http://127.0.0.1:1"}, "unreachable"},
		{[]string{"--fixtures", filepath.Join(os.TempDir(), "eic-no-such-fixtures.yaml")}, "no such file"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, append([]string{"run"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("eic run %v = %d, stderr %q; want 2 containing %q", tt.args, code, stderr, tt.inStderr)
		}
		if tt.inStderr == "unreachable" && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("unreachable endpoint: stderr %q, want one line", stderr)
		}
	}
}

func TestRun_EmbeddedReferenceWithReport(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.json")
	junit := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := run(t, "run", "--tags", "@EI-R2", "--format", "progress,junit:"+junit, "--report", report)
	if code != 0 {
		t.Fatalf("eic run = %d\n%s\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Embedded bool
		Tags     string
		Verdict  string
		IDs      []struct{ ID, Status string }
		Coverage struct {
			Rules struct{ Passed, Documented int }
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Embedded || rep.Tags != "@EI-R2" || rep.Verdict != "pass" {
		t.Errorf("report = %+v", rep)
	}
	for _, id := range rep.IDs {
		if id.ID == "EI-R2" && id.Status != "passed" {
			t.Errorf("EI-R2 = %q, want passed", id.Status)
		}
		if id.ID == "EI-R17" && id.Status != "not-run" {
			t.Errorf("EI-R17 = %q, want not-run (not selected)", id.Status)
		}
	}
	if rep.Coverage.Rules.Passed == 0 || rep.Coverage.Rules.Documented != 28 {
		t.Errorf("coverage = %+v", rep.Coverage)
	}
	if fi, err := os.Stat(junit); err != nil || fi.Size() == 0 {
		t.Errorf("junit report: %v", err)
	}
}

// An endpoint that answers 200 {} to everything must fail the @core scenarios: exit 1.
func TestRun_NonConformingEndpointFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.Write([]byte(`{"RequestId":"R"}`))
	}))
	defer srv.Close()
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
	code, stdout, stderr := run(t, "run", "--endpoint", srv.URL, "--fixtures", "../../features/fixtures/reference.yaml",
		"--tags", "@core && @EI-R2", "--format", "pretty")
	if code != 1 {
		t.Fatalf("eic run against a non-conforming endpoint = %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"FAILED", ".feature:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "does not match the spec") && !strings.Contains(stdout, "status = 200") {
		t.Errorf("pretty output does not explain the failure:\n%s", stdout)
	}
	if !strings.Contains(stdout, "> POST /?") || !strings.Contains(stdout, "< HTTP/1.1 200") {
		t.Errorf("pretty output lacks the HTTP exchange:\n%s", stdout)
	}
}
