package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exportimage/eic/steps"
)

// Every field of the report reaches the page: a template that names a field the report no
// longer has fails here, without a browser.
func TestWriteHTML_EveryPart(t *testing.T) {
	rep := steps.BuildReport([]steps.ScenarioResult{
		{ID: "EI-R1/ok", Name: "ok", Location: "a/x.feature:3", Status: "passed", Tags: []string{"@core", "@EI-R1"}},
		{ID: "EI-E16/bad", Name: "bad <b>", Location: "a/x.feature:9", Status: "failed", Tags: []string{"@core", "@EI-E16"},
			Error: "error code = \"X\", want \"Y\"\n  at a/x.feature:9\n  last exchange:\n  > POST /?Signature=secret&AccessKeyId=LTAI5tAbcdefgh HTTP/1.1\n  < HTTP/1.1 400 Bad Request\n",
			Steps: []steps.StepResult{{Keyword: "When", Text: "I export", Status: "passed"}, {Keyword: "Then", Text: "refused", Status: "failed"}}},
		{ID: "EI-R3/maybe", Name: "maybe", Location: "b/y.feature:1", Status: "failed", Error: "nope", Tags: []string{"@assumption", "@EI-R3"}},
		{ID: "EI-R4/skip", Name: "skip", Location: "b/y.feature:5", Status: "skipped", Reason: "needs fixture x", Tags: []string{"@core", "@EI-R4"}},
	}, false)
	rep.Endpoint, rep.Profile, rep.Clock, rep.Duration = "http://ecs.example", "endpoint", "endpoint", "1s"
	rep.Started = time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC)
	rep.Eic = steps.Version{Module: "v1.2.3", Revision: "0123456789abcdef", Modified: true, Go: "go1.26"}
	rep.Drift = []steps.MessageDrift{{ID: "EI-E16", Code: "X", Scenario: "bad", Location: "a/x.feature:9", Documented: "doc", Got: "other"}}
	rep.Created.Tasks = []steps.CreatedTask{{TaskID: "t-1", Purpose: "unintended", CancelError: "403"}}
	rep.Created.Objects = []steps.CreatedObject{{Bucket: "b", Key: "k", TaskID: "t-1"}}
	d := &Diff{Baseline: "old.json", Regressions: []Change{{ID: "EI-E16/bad", Name: "bad <b>", Why: "passed in the baseline, fails now"}},
		Improvements: []Change{{ID: "EI-R9", Why: "remove"}}, Unmatched: []Change{{ID: "EI-R98/x", Why: "names no scenario"}}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep, d); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"FAIL", "http://ecs.example", "v1.2.3 0123456789ab (modified)", "2026-12-02T13:00:00Z",
		`id="EI-E16/bad"`, `href="#EI-E16/bad"`, "bad &lt;b&gt;", "Signature=***", "AccessKeyId=LTAI***", "needs fixture x",
		"Assumptions not met (1)", "message drift", "NOT cancelled (403)", "Regressions (1)", "Improvements (1)", "EI-R98/x", "<svg", "id=\"id-EI-R1\""} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"secret", "LTAI5tAbcdefgh", "<script", "http-equiv", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
}

// WriteHTMLFile writes the page WriteHTML renders; a path that cannot be written is an error.
func TestWriteHTMLFile(t *testing.T) {
	rep := steps.BuildReport([]steps.ScenarioResult{{ID: "EI-R1/ok", Name: "ok", Location: "a/x.feature:3", Status: "passed", Tags: []string{"@core", "@EI-R1"}}}, false)
	var want bytes.Buffer
	if err := WriteHTML(&want, rep, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "page.html")
	if err := WriteHTMLFile(path, rep, nil); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) || !bytes.Contains(got, []byte("a/x.feature:3")) {
		t.Errorf("file holds %d bytes, WriteHTML renders %d", len(got), want.Len())
	}
	if err := WriteHTMLFile(filepath.Join(path, "sub.html"), rep, nil); err == nil {
		t.Error("writing under a file: no error")
	}
}
