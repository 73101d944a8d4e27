package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exportimage/eic/steps"
)

func TestRun_StartErrors(t *testing.T) {
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"--signature", "v2"}, `--signature "v2"`},
		{[]string{"--format", "nosuch"}, `unknown formatter "nosuch"`},
		{[]string{"--format", "html"}, `html needs a file`},
		{[]string{"--baseline", filepath.Join(os.TempDir(), "eic-no-such-baseline.txt")}, "--baseline"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--endpoint", "http://127.0.0.1:1"}, "unreachable"},
		{[]string{"--fixtures", filepath.Join(os.TempDir(), "eic-no-such-fixtures.yaml")}, "no such file"},
		{[]string{"--tags", "@core &&"}, `--tags "@core &&": an empty term`},
		{[]string{"--tags", ","}, `--tags ",": an empty term`},
		{[]string{"--tags", "@core && (x"}, `is not a tag`},
		{[]string{"--report", filepath.Join(os.TempDir(), "eic-no-such-dir", "r.json")}, "--report"},
		{[]string{"--format", "junit:" + filepath.Join(os.TempDir(), "eic-no-such-dir", "j.xml")}, "--format junit:"},
		{[]string{"--min-coverage", "150"}, "--min-coverage"},
		{[]string{"--features", filepath.Join(os.TempDir(), "eic-no-such-features")}, "--features"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, append([]string{"run"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("eic run %v = %d, stderr %q; want 2 containing %q", tt.args, code, stderr, tt.inStderr)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("eic run %v: stderr %q, want one line", tt.args, stderr)
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

// Preflight against a running reference: a wrong control token and refused credentials stop
// the run with one line (exit 2); no credentials at all is INCONCLUSIVE (exit 3) naming why.
func TestRun_PreflightAndInconclusive(t *testing.T) {
	ref, err := steps.StartReference()
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
	t.Setenv("EIC_CONTROL_TOKEN", "")

	code, _, stderr := run(t, "run", "--endpoint", ref.URL, "--control-token", "WRONG")
	if code != 2 || !strings.Contains(stderr, "refused the control token") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("wrong control token: exit %d, stderr %q; want 2, one line", code, stderr)
	}

	code, _, stderr = run(t, "run", "--endpoint", ref.URL, "--tags", "@EI-R2")
	if code != 3 || !strings.Contains(stderr, "verdict INCONCLUSIVE: no scenario ran") || !strings.Contains(stderr, "ALIBABA_CLOUD_ACCESS_KEY_ID") {
		t.Errorf("no credentials: exit %d, stderr %q; want 3 naming the missing credentials", code, stderr)
	}

	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tEicDemoKey0000001")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
	code, _, stderr = run(t, "run", "--endpoint", ref.URL, "--region", "cn-hangzhou")
	if code != 2 || !strings.Contains(stderr, "SignatureDoesNotMatch") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("refused credentials: exit %d, stderr %q; want 2, one line", code, stderr)
	}

	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "EicDemoSecret00000000000000001")
	fixtures := filepath.Join("..", "..", "features", "fixtures", "reference.yaml")
	code, _, stderr = run(t, "run", "--endpoint", ref.URL, "--fixtures", fixtures, "--oss-endpoint", "http://127.0.0.1:1")
	if code != 2 || !strings.Contains(stderr, "OSS endpoint http://127.0.0.1:1") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("unreachable OSS endpoint: exit %d, stderr %q; want 2, one line", code, stderr)
	}

	// A tag no scenario carries is a typo: refused before anything runs, with the nearest tag.
	code, _, stderr = run(t, "run", "--tags", "@core && ~@cosly")
	if code != 2 || !strings.Contains(stderr, "no scenario carries @cosly (did you mean @costly?)") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("unknown tag: exit %d, stderr %q; want 2, one line naming @costly", code, stderr)
	}

	// Known tags that select nothing together: the run proves nothing.
	code, _, stderr = run(t, "run", "--tags", "@core && @assumption")
	if code != 3 || !strings.Contains(stderr, "no scenario selected") {
		t.Errorf("empty selection: exit %d, stderr %q; want 3", code, stderr)
	}
}

// A user's own feature (a fuzz finding, a regression) runs beside the built-in ones with
// --features, in either refusal phrase. An endpoint with the right status and code but its
// own message passes with the drift reported; with --strict the drift fails the run.
func TestRun_OwnFeaturesAndMessageDrift(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(400)
		w.Write([]byte(`{"RequestId":"R-1","HostId":"ecs.example","Code":"InvalidOSSPrefix.Malformed","Message":"Bad prefix.","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidOSSPrefix.Malformed"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	feature := `Feature: my regressions

  @mine @EI-R2 @EI-E05
  Scenario: a hyphen in OSSPrefix is refused (new phrase)
    Given an export request for image "custom" to bucket "home"
    And the parameter "OSSPrefix" is "a-b"
    When I export the image
    Then the request is refused with 400 InvalidOSSPrefix.Malformed (EI-E05)

  @mine @EI-R2 @EI-E05
  Scenario: a hyphen in OSSPrefix is refused (older phrase of fuzz findings)
    Given an export request for image "custom" to bucket "home"
    And the parameter "OSSPrefix" is "a-b"
    When I export the image
    Then the request is refused with error "EI-E05"
`
	if err := os.WriteFile(filepath.Join(dir, "mine.feature"), []byte(feature), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
	report := filepath.Join(dir, "report.json")
	args := []string{"run", "--endpoint", srv.URL, "--fixtures", "../../features/fixtures/reference.yaml",
		"--features", dir, "--tags", "@mine", "--report", report}
	code, stdout, stderr := run(t, args...)
	if code != 0 || !strings.Contains(stderr, "2 passed") || !strings.Contains(stderr, "2 message drift") ||
		!strings.Contains(stderr, `documented "The specified OSSPrefix format is wrongly formed.", got "Bad prefix."`) {
		t.Fatalf("eic run with drift = %d, want 0 with the drift reported\n%s\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Features []string
		Drift    []struct{ ID, Documented, Got, Location string }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Drift) != 2 || rep.Drift[0].ID != "EI-E05" || rep.Drift[0].Got != "Bad prefix." || !strings.Contains(rep.Drift[0].Location, "mine.feature:") {
		t.Errorf("report drift = %+v", rep.Drift)
	}
	if code, _, stderr := run(t, append(args, "--strict")...); code != 1 || !strings.Contains(stderr, "message drift in 2 response(s)") {
		t.Errorf("--strict with drift = %d, want 1\n%s", code, stderr)
	}
}
