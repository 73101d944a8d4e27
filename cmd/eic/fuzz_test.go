package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exportimage/eic/fuzz"
	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/reference"
)

func TestFuzz_StartErrors(t *testing.T) {
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"--signature", "v2"}, `--signature "v2"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--mutant", "no-such"}, `unknown mutant "no-such"`},
		{[]string{"--endpoint", "http://127.0.0.1:1"}, "unreachable"},
		{[]string{"--endpoint", "http://127.0.0.1:1", "--mutant", "prefix-31"}, "embedded reference only"},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, append([]string{"fuzz"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("eic fuzz %v = %d, stderr %q; want 2 containing %q", tt.args, code, stderr, tt.inStderr)
		}
	}
}

func TestFuzz_StatefulNeedsControl(t *testing.T) {
	srv := httptest.NewServer(mustReference(t))
	defer srv.Close()
	code, _, stderr := run(t, "fuzz", "--endpoint", srv.URL, "--stateful")
	if code != 2 || !strings.Contains(stderr, "control API") {
		t.Errorf("eic fuzz --stateful without token = %d, %q; want 2", code, stderr)
	}
}

func mustReference(t *testing.T) *reference.Server {
	t.Helper()
	s, err := reference.New(reference.WithControlToken("tok"), reference.WithStrictParams()) // the fuzz model refuses unknown parameters
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFuzz_EmbeddedReferenceAgrees(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, "fuzz", "--runs", "200", "--seed", "3", "--out", out)
	if code != 0 {
		t.Fatalf("eic fuzz = %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "0 new divergences") {
		t.Errorf("stdout lacks the summary:\n%s", stdout)
	}
}

func TestFuzz_EndpointWithControlToken(t *testing.T) {
	srv := httptest.NewServer(mustReference(t))
	defer srv.Close()
	code, stdout, stderr := run(t, "fuzz", "--endpoint", srv.URL, "--control-token", "tok", "--runs", "100", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("eic fuzz --endpoint = %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestFuzz_MutantIsCaughtWithAScenario(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, "fuzz", "--mutant", "prefix-31", "--runs", "500", "--out", out)
	if code != 1 {
		t.Fatalf("eic fuzz --mutant prefix-31 = %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	features, _ := filepath.Glob(filepath.Join(out, "*.feature"))
	var found bool
	for _, f := range features {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), `Then the request is refused with 400 InvalidOSSPrefix.Malformed (EI-E05)`) &&
			strings.Contains(string(data), `When I call "ExportImage" with:`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no .feature expecting EI-E05 in %v\n%s", features, stdout)
	}
	reports, _ := filepath.Glob(filepath.Join(out, "*.txt"))
	if len(reports) == 0 {
		t.Fatal("no report written")
	}
	data, _ := os.ReadFile(reports[0])
	for _, want := range []string{"Seed: 1", "POST /?", "HTTP/1.1 ", "X-Acs-Request-Id"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("report lacks %q:\n%s", want, data)
		}
	}
}

func TestFuzz_StatefulEmbedded(t *testing.T) {
	code, stdout, stderr := run(t, "fuzz", "--stateful", "--runs", "4", "--seq-len", "10", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("eic fuzz --stateful = %d\n%s\n%s", code, stdout, stderr)
	}
}

// breakage is one documented behaviour a test proxy breaks: it rewrites the reference's
// answer (status, code, body) or the request on its way in.
type breakage struct {
	name     string
	stateful bool
	// quotaSteps: sequences of quota steps only (eic fuzz --steps quota), which never export.
	quotaSteps bool
	// exports: the case needs whole exports written (too slow under the race detector).
	exports bool
	// rule: the finding wanted is for this rule (a prefix of Finding.Rule), of this kind
	// ("mismatch" when empty).
	rule, kind string
	answer     func(action string, status int, body map[string]any) (int, map[string]any)
	request    func(r *http.Request)
}

// accept turns the refusal with code (and status, when not 0) into an ExportImage success.
func accept(code string, status int) func(string, int, map[string]any) (int, map[string]any) {
	return func(action string, st int, body map[string]any) (int, map[string]any) {
		if action != "ExportImage" || body["Code"] != code || (status != 0 && st != status) {
			return st, body
		}
		return http.StatusOK, map[string]any{"RequestId": body["RequestId"], "TaskId": fmt.Sprintf("t-proxy%012d", rand.Int63n(1e12))}
	}
}

var breakages = []breakage{
	{name: "prefix-accepted", rule: "EI-E05", answer: accept("InvalidOSSPrefix.Malformed", 0)},
	{name: "marketplace-accepted", rule: "EI-E10", answer: accept("ImageNotSupported", 403)},
	{name: "bucket-accepted", rule: "EI-E16", answer: accept("InvalidOSSBucket.NotFound", 0)},
	{name: "role-accepted", rule: "EI-E15", answer: accept("NoSetRoletoECSServiceAcount", 0)},
	{name: "image-not-found-as-500", rule: "EI-E08", kind: "5xx", answer: func(_ string, st int, b map[string]any) (int, map[string]any) {
		if b["Code"] == "InvalidImageId.NotFound" {
			return 500, map[string]any{"RequestId": b["RequestId"], "HostId": b["HostId"], "Code": "InternalError",
				"Message": "The request processing has failed due to some unknown error, exception or failure."}
		}
		return st, b
	}},
	{name: "wrong-message", rule: "EI-E06", answer: func(_ string, st int, b map[string]any) (int, map[string]any) {
		if b["Code"] == "InvalidRegionId.NotFound" {
			b["Message"] = "Region not found."
		}
		return st, b
	}},
	{name: "wrong-status", rule: "EI-E11", answer: func(_ string, st int, b map[string]any) (int, map[string]any) {
		if b["Code"] == "InvalidImageFormat.Malformed" {
			return 403, b
		}
		return st, b
	}},
	{name: "bad-signature-accepted", rule: "ACS-E02", request: resignV3},
	{name: "quota-not-enforced", stateful: true, quotaSteps: true, rule: "EI-E22", answer: accept("ConcurrentQuotaExceed.ExportImage", 0)},
	{name: "task-never-finishes", stateful: true, exports: true, rule: "invariant: task never finishes", kind: "invariant", answer: func(action string, st int, b map[string]any) (int, map[string]any) {
		if action == "DescribeTaskAttribute" && b["TaskStatus"] == "Finished" {
			b["TaskStatus"], b["TaskProcess"] = "Processing", "99%"
		}
		if set, ok := b["TaskSet"].(map[string]any); ok {
			for _, t := range asList(set["Task"]) {
				if m, ok := t.(map[string]any); ok && m["TaskStatus"] == "Finished" {
					m["TaskStatus"] = "Processing"
				}
			}
		}
		return st, b
	}},
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return nil
}

// resignV3 is a gateway that never verifies signatures: it signs every V3 request of a
// fixture key again, with its own date and nonce, before the reference sees it.
func resignV3(r *http.Request) {
	authz := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(authz, "Credential=")
	if !ok {
		return
	}
	id, _, _ := strings.Cut(rest, ",")
	k, ok := fuzz.DefaultWorld().Keys[id]
	date, err := time.Parse(acs.TimeLayout, r.Header.Get(acs.HeaderDate))
	if !ok || err != nil || r.Header.Get(acs.HeaderNonce) == "" {
		return
	}
	var body []byte
	if r.Body != nil { // ReverseProxy sends an empty body as nil
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	acs.SignV3(r, body, acs.Credentials{KeyID: k.ID, Secret: k.Secret, SecurityToken: r.Header.Get(acs.HeaderSecurityToken)},
		date, r.Header.Get(acs.HeaderNonce))
}

// brokenProxy serves the reference behind a loopback reverse proxy that applies b.
func brokenProxy(t *testing.T, b breakage) string {
	t.Helper()
	ref, err := reference.New(reference.WithControlToken("tok"), reference.WithVirtualClock(fuzz.EmbeddedStart))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	backend := httptest.NewServer(ref)
	t.Cleanup(backend.Close)
	target, _ := url.Parse(backend.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	direct := rp.Director
	rp.Director = func(r *http.Request) {
		if b.request != nil && !strings.HasPrefix(r.URL.Path, "/_reference/") {
			b.request(r)
		}
		direct(r)
	}
	rp.ModifyResponse = func(res *http.Response) error {
		if b.answer == nil || strings.HasPrefix(res.Request.URL.Path, "/_reference/") ||
			!strings.Contains(res.Header.Get("Content-Type"), "json") {
			return nil
		}
		data, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		var body map[string]any
		status := res.StatusCode
		if json.Unmarshal(data, &body) == nil {
			action := res.Request.Header.Get("x-acs-action")
			if action == "" {
				action = res.Request.URL.Query().Get("Action")
			}
			status, body = b.answer(action, status, body)
			data, _ = json.Marshal(body)
		}
		res.StatusCode, res.Status = status, fmt.Sprintf("%d %s", status, http.StatusText(status))
		res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
		res.Header.Set("Content-Length", fmt.Sprint(len(data)))
		return nil
	}
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)
	return proxy.URL
}

// fuzzEndpoint runs eic fuzz against endpoint at seed 1 and returns its JSON summary.
func fuzzEndpoint(t *testing.T, endpoint string, stateful bool, extra ...string) (int, fuzz.Summary, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "report.json")
	args := append([]string{"fuzz", "--endpoint", endpoint, "--control-token", "tok", "--seed", "1", "--out", dir, "--json", file}, extra...)
	if stateful {
		args = append(args, "--stateful", "--runs", "40", "--shrink-budget", "60")
	} else {
		args = append(args, "--runs", "2000")
	}
	code, stdout, stderr := run(t, args...)
	var sum fuzz.Summary
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("eic %v = %d, no JSON report: %v\n%s\n%s", args, code, err, stdout, stderr)
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	return code, sum, stdout + stderr
}

// TestFuzz_TeethOverHTTP: eic fuzz --endpoint, in front of the reference behind a proxy that
// breaks one documented behaviour, reports a finding for that rule within 2,000 requests (or
// 40 sequences) at seed 1 and exits 1; through the same proxy unbroken it reports nothing
// new and exits 0.
func TestFuzz_TeethOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eic fuzz against a proxied reference per breakage")
	}
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			if b.exports && raceEnabled {
				t.Skip("writes whole exports, minutes under the race detector; runs in go test without -race")
			}
			t.Parallel()
			// The wanted finding comes first at seed 1, or second in a sequence (a quota the
			// model thinks reached before the task that never finishes): the rest of the budget
			// would only cost time.
			args := []string{"--stop-after", "1"}
			if b.stateful {
				args[1] = "3"
			}
			if b.quotaSteps {
				args = append(args, "--steps", "quota")
			}
			code, sum, out := fuzzEndpoint(t, brokenProxy(t, b), b.stateful, args...)
			var rules []string
			found := false
			for _, f := range sum.Findings {
				rules = append(rules, f.Rule+" ("+f.Kind+")")
				if f.Known == "" && strings.HasPrefix(f.Rule, b.rule) && f.Kind == cmp.Or(b.kind, "mismatch") && !found {
					found = true
					t.Logf("found at run %d: %s — %s\n  %s%s", f.Run, f.Rule, f.Detail, f.Request, strings.Join(f.Steps, "; "))
				}
			}
			if !found {
				t.Errorf("no finding for %s in %d requests; findings: %q\n%s", b.rule, sum.Requests, rules, tail(out, 2000))
			}
			if code != 1 {
				t.Errorf("eic fuzz exited %d with %d new findings, want 1", code, sum.New)
			}
		})
	}
	for _, stateful := range []bool{false, true} {
		t.Run(fmt.Sprintf("unbroken/stateful=%v", stateful), func(t *testing.T) {
			t.Parallel()
			var args []string
			if raceEnabled {
				args = []string{"--steps", "quota"} // no exports written: see task-never-finishes
			}
			code, sum, out := fuzzEndpoint(t, brokenProxy(t, breakage{}), stateful, args...)
			if code != 0 || sum.New != 0 {
				t.Errorf("unbroken proxy: exit %d, %d new findings\n%s", code, sum.New, tail(out, 3000))
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestFuzz_FindingFeatureReplays: a finding's .feature, run with eic run --features, fails
// against the broken endpoint and passes against the reference. It needs eic run --features
// (the suite's issue #10) and skips until that flag exists.
func TestFuzz_FindingFeatureReplays(t *testing.T) {
	if _, _, stderr := run(t, "run", "--help"); !strings.Contains(stderr, "-features") {
		t.Skip("eic run --features is not available yet (issue #10)")
	}
	broken := brokenProxy(t, breakages[0]) // prefix-accepted
	_, sum, out := fuzzEndpoint(t, broken, false)
	var feature string
	for _, f := range sum.Findings {
		if strings.HasPrefix(f.Rule, "EI-E05") {
			feature = f.Feature
		}
	}
	if feature == "" {
		t.Fatalf("no EI-E05 finding to replay\n%s", tail(out, 2000))
	}
	dir := t.TempDir()
	data, err := os.ReadFile(feature)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "finding.feature"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := run(t, "run", "--features", dir, "--endpoint", broken, "--control-token", "tok"); code == 0 {
		t.Errorf("the finding's scenario passes against the broken endpoint\n%s\n%s", stdout, stderr)
	}
	if code, stdout, stderr := run(t, "run", "--features", dir); code != 0 {
		t.Errorf("the finding's scenario fails against the reference (exit %d)\n%s\n%s", code, stdout, stderr)
	}
}
