package steps

import (
	"strings"
	"testing"

	messages "github.com/cucumber/messages/go/v34"
)

// Baselines and page anchors name scenarios by their stable ID: two scenarios of the built-in
// features with one ID would make a regression in one look like a known failure of the other.
func TestScenarioID_UniqueAcrossFeatures(t *testing.T) {
	feats, err := (RunOptions{}).features()
	if err != nil {
		t.Fatal(err)
	}
	if len(feats) < 100 {
		t.Fatalf("parsed %d scenarios, want the built-in features (over 100)", len(feats))
	}
	seen := map[string]string{}
	for _, p := range feats {
		if p.id == "" || strings.ContainsAny(p.id, " \t\n#") {
			t.Errorf("%s: ID %q is empty or holds blanks or '#'", p.where, p.id)
		}
		if other, dup := seen[p.id]; dup {
			t.Errorf("scenarios %s and %s share the ID %q", other, p.where, p.id)
		}
		seen[p.id] = p.where
	}
}

func TestScenarioID_Forms(t *testing.T) {
	tags := func(names ...string) []*messages.PickleTag {
		var out []*messages.PickleTag
		for _, n := range names {
			out = append(out, &messages.PickleTag{Name: n})
		}
		return out
	}
	rows := map[string][]string{"row1": {"ab", "C d"}, "row2": {strings.Repeat("x", 50)}}
	for _, tc := range []struct {
		name string
		p    *messages.Pickle
		want string
	}{
		{"rule IDs sorted and title", &messages.Pickle{Name: "A missing bucket is refused", Tags: tags("@core", "@EI-R14", "@EI-E16")},
			"EI-E16+EI-R14/a-missing-bucket-is-refused"},
		{"explicit id wins", &messages.Pickle{Name: "x", Tags: tags("@EI-R1", "@id:my-regression-42")}, "my-regression-42"},
		{"untagged", &messages.Pickle{Name: "Signature, V1 (HMAC)"}, "untagged/signature-v1-hmac"},
		{"outline row", &messages.Pickle{Name: "n", Tags: tags("@EI-R2"), AstNodeIds: []string{"sc", "row1"}}, "EI-R2/n/ab-c-d"},
		{"long outline row hashed", &messages.Pickle{Name: "n", Tags: tags("@EI-R2"), AstNodeIds: []string{"sc", "row2"}},
			"EI-R2/n/" + strings.Repeat("x", 40) + "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scenarioID(tc.p, rows)
			if !strings.HasPrefix(got, tc.want) || (!strings.HasSuffix(tc.want, "-") && got != tc.want) {
				t.Errorf("scenarioID = %q, want %q", got, tc.want)
			}
		})
	}
}

// With a conformance page, each JUnit failure starts with a link to its section.
func TestJUnit_LinksFailuresToThePage(t *testing.T) {
	results := []ScenarioResult{
		{ID: "EI-R1/a", Name: "a", Location: "x.feature:1", Status: "failed", Error: "boom", Tags: []string{"@core"}},
		{ID: "EI-R1/b", Name: "b", Location: "x.feature:5", Status: "passed", Tags: []string{"@core"}},
	}
	data, err := junitWith(results, false, junitOptions{page: "out/eic.html"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); !strings.Contains(got, "conformance page: out/eic.html#EI-R1/a&#xA;boom") || strings.Contains(got, "#EI-R1/b") {
		t.Errorf("JUnit with a page:\n%s\nwant the failure (only) linked to out/eic.html#EI-R1/a", got)
	}
	plain, _ := JUnit(results, false)
	if strings.Contains(string(plain), "conformance page") {
		t.Error("JUnit without a page links to one")
	}
}

// With a baseline, the failures it accepts are skipped in JUnit, with the reason.
func TestJUnit_KnownFailuresSkipped(t *testing.T) {
	results := []ScenarioResult{
		{ID: "EI-R1/a", Name: "a", Location: "x.feature:1", Status: "failed", Error: "boom", Tags: []string{"@core"}},
		{ID: "EI-R1/b", Name: "b", Location: "x.feature:5", Status: "failed", Error: "bang", Tags: []string{"@core"}},
	}
	known := func(r ScenarioResult) (string, bool) { return "known failure (baseline line 1)", r.ID == "EI-R1/a" }
	data, err := junitWith(results, false, junitOptions{known: known})
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	if !strings.Contains(got, `failures="1"`) || !strings.Contains(got, `skipped="1"`) ||
		!strings.Contains(got, `<skipped message="accepted by the baseline, known failure (baseline line 1): boom">`) {
		t.Errorf("JUnit with a known failure:\n%s\nwant a skipped, one failure", got)
	}
}
