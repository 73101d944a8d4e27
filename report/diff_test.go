package report

import (
	"strings"
	"testing"

	"github.com/exportimage/eic/steps"
)

func scenario(id, status, err string, tags ...string) steps.ScenarioResult {
	return steps.ScenarioResult{ID: id, Name: id, Location: "f.feature:1", Status: status, Error: err,
		Tags: append([]string{"@core"}, tags...)}
}

func reportOf(scenarios ...steps.ScenarioResult) steps.Report {
	rep := steps.BuildReport(scenarios, false)
	return rep
}

func ids(list []Change) string {
	var out []string
	for _, c := range list {
		out = append(out, c.ID)
	}
	return strings.Join(out, ",")
}

func TestCompare_Reports(t *testing.T) {
	old := reportOf(
		scenario("a", "passed", ""),
		scenario("b", "failed", `error code = "X", want "Y" (task t-abc123xyz, request 1B2C3D4E-0000-1111-2222-333344445555)`),
		scenario("c", "failed", `status = 200, want an error`),
		scenario("d", "failed", `status = 500, want 200`),
		scenario("e", "skipped", ""),
	)
	cur := reportOf(
		scenario("a", "failed", "status = 400, want 200\n  last exchange: …"), // regression: passed before
		scenario("b", "failed", `error code = "X", want "Y" (task t-zzz999aaa, request AAAAAAAA-0000-1111-2222-333344445555)`),
		scenario("c", "failed", `error code = "Z", want "Y"`), // reason changed
		scenario("d", "passed", ""),     // improvement
		scenario("e", "failed", "boom"), // skipped before
		scenario("f", "failed", "new"),  // not in the baseline
		scenario("g", "passed", ""),
	)
	d := Compare(&Baseline{Source: "old.json", Report: &old}, cur)
	if got, want := ids(d.Regressions), "a,c,e,f"; got != want {
		t.Errorf("regressions = %s, want %s", got, want)
	}
	if got, want := ids(d.KnownFailures), "b"; got != want {
		t.Errorf("known failures = %s, want %s (volatile task and request IDs ignored)", got, want)
	}
	if got, want := ids(d.Improvements), "d"; got != want {
		t.Errorf("improvements = %s, want %s", got, want)
	}
	for _, c := range d.Regressions {
		if c.ID == "c" && !strings.Contains(c.Why, "reason changed") {
			t.Errorf("c: why = %q, want the reason change named", c.Why)
		}
	}
}

func TestCompare_AssumptionFailuresDoNotCount(t *testing.T) {
	old := reportOf(scenario("a", "passed", ""))
	cur := reportOf(scenario("a", "failed", "x", "@assumption"))
	d := Compare(&Baseline{Report: &old}, cur)
	if len(d.Regressions) != 0 {
		t.Errorf("an @assumption failure without --strict is a regression: %+v", d.Regressions)
	}
	cur = steps.BuildReport(cur.Scenarios, true)
	if d := Compare(&Baseline{Report: &old}, cur); len(d.Regressions) != 1 {
		t.Errorf("with --strict an @assumption failure is not a regression: %+v", d)
	}
}

func TestCompare_HandWritten(t *testing.T) {
	base, err := ParseBaseline([]byte(`
# known failures
EI-E16    other-region buckets answer NotMatched (PROJ-1)
EI-R2/x   prefix check is lax: ` + "`status = 200`" + `
EI-E05    fixed last week
EI-R99/typo  never matches
`))
	if err != nil {
		t.Fatal(err)
	}
	cur := reportOf(
		scenario("EI-E16/one", "failed", "code mismatch", "@EI-E16"),
		scenario("EI-E16/two", "passed", "", "@EI-E16"),
		scenario("EI-R2/x", "failed", "status = 500, want an error", "@EI-R2"), // pin no longer matches
		scenario("EI-E05/y", "passed", "", "@EI-E05"),
		scenario("EI-R9/z", "failed", "new failure", "@EI-R9"),
	)
	d := Compare(base, cur)
	if got, want := ids(d.KnownFailures), "EI-E16/one"; got != want {
		t.Errorf("known failures = %s, want %s", got, want)
	}
	if got, want := ids(d.Regressions), "EI-R2/x,EI-R9/z"; got != want {
		t.Errorf("regressions = %s, want %s", got, want)
	}
	if got, want := ids(d.Improvements), "EI-E05"; got != want {
		t.Errorf("improvements = %s, want %s", got, want)
	}
	if got, want := ids(d.Unmatched), "EI-R99/typo"; got != want {
		t.Errorf("unmatched = %s, want %s", got, want)
	}
}

func TestParseBaseline_Errors(t *testing.T) {
	for name, text := range map[string]string{
		"no reason":   "EI-E16\n",
		"duplicate":   "EI-E16 a\nEI-E16 b\n",
		"empty":       "# nothing\n\n",
		"broken json": `{"verdict": `,
		"other json":  `{"name": "not a report"}`,
	} {
		if _, err := ParseBaseline([]byte(text)); err == nil {
			t.Errorf("%s: ParseBaseline(%q) succeeded, want an error", name, text)
		}
	}
}

func TestApply(t *testing.T) {
	rep := reportOf(scenario("a", "passed", "", "@EI-R1"), scenario("b", "failed", "x", "@EI-R2"))
	known := Diff{Baseline: "b.txt", KnownFailures: []Change{{ID: "b"}}}
	r := rep
	Apply(&r, known)
	if r.Verdict != steps.VerdictPass || r.ExitCode() != 0 || !strings.Contains(r.Reason, "1 known failure") {
		t.Errorf("only known failures: verdict %s (%s), want pass naming the known failure", r.Verdict, r.Reason)
	}
	r = rep
	Apply(&r, Diff{Baseline: "b.txt", Regressions: []Change{{ID: "b"}}})
	if r.Verdict != steps.VerdictFail || r.ExitCode() != 1 || !strings.Contains(r.Reason, "1 regression") {
		t.Errorf("a regression: verdict %s (%s), want fail", r.Verdict, r.Reason)
	}
	r = reportOf(scenario("b", "failed", "x", "@EI-R2"))
	Apply(&r, Diff{Baseline: "b.txt", KnownFailures: []Change{{ID: "b"}}})
	if r.Verdict != steps.VerdictInconclusive {
		t.Errorf("nothing passed, one known failure: verdict %s, want inconclusive", r.Verdict)
	}
}

func TestMask(t *testing.T) {
	in := `  > POST /?AccessKeyId=LTAI5tEicDemoKey0000001&Action=ExportImage&Signature=abc%2Bdef%3D&SignatureMethod=HMAC-SHA1&SecurityToken=CAIS123 HTTP/1.1
  > Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tEicDemoKey0000001,SignedHeaders=host;x-acs-action,Signature=0123abcd
  > X-Acs-Security-Token: CAIStoken
  < {"Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DLTAI5tEicDemoKey0000001%26Action%3DExportImage%26Signature%3Dxyz"}`
	got := Mask(in)
	for _, leak := range []string{"LTAI5tEicDemoKey", "abc%2Bdef", "0123abcd", "CAIS123", "CAIStoken", "%3Dxyz"} {
		if strings.Contains(got, leak) {
			t.Errorf("Mask left %q in:\n%s", leak, got)
		}
	}
	for _, keep := range []string{"SignatureMethod=HMAC-SHA1", "Action=ExportImage", "SignedHeaders=host;x-acs-action", "AccessKeyId=LTAI***"} {
		if !strings.Contains(got, keep) {
			t.Errorf("Mask removed %q:\n%s", keep, got)
		}
	}
}

func TestKnownFailure(t *testing.T) {
	base, err := ParseBaseline([]byte("EI-E16  foreign buckets: `code X`\n"))
	if err != nil {
		t.Fatal(err)
	}
	known := KnownFailure(base, false)
	if why, ok := known(scenario("EI-E16/a", "failed", "code X, want Y", "@EI-E16")); !ok || why == "" {
		t.Errorf("listed failure: known = %v %q, want true with a reason", ok, why)
	}
	if _, ok := known(scenario("EI-E16/a", "failed", "code Z, want Y", "@EI-E16")); ok {
		t.Error("failure whose reason changed: known = true, want false")
	}
	if _, ok := known(scenario("EI-R1/b", "failed", "boom", "@EI-R1")); ok {
		t.Error("unlisted failure: known = true, want false")
	}
}
