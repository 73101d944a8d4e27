package fuzz

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v42"
)

// pendingPhrases are step phrases the suite's step library is adding (issue #10); a
// generated scenario may use them before they land.
var pendingPhrases = []*regexp.Regexp{
	regexp.MustCompile(`^the request is refused with (\d{3}) (\S+) \(([A-Z]+-E\d+)\)$`),
}

// stepPhrases reads the step patterns registered by steps.Register from its source (fuzz
// may not import steps).
func stepPhrases(t *testing.T) []*regexp.Regexp {
	t.Helper()
	src, err := os.ReadFile("../steps/register.go")
	if err != nil {
		t.Skipf("step library source not found: %v", err)
	}
	var out []*regexp.Regexp
	for _, m := range regexp.MustCompile("sc\\.Step\\(`([^`]+)`").FindAllStringSubmatch(string(src), -1) {
		out = append(out, regexp.MustCompile(m[1]))
	}
	if len(out) < 20 {
		t.Fatalf("found %d step patterns in steps/register.go; the source layout changed", len(out))
	}
	return append(out, pendingPhrases...)
}

// TestFeature_ParsesAndUsesKnownPhrases: the .feature of a finding — for every tamper, both
// signature schemes, odd keys and several refusals — is valid Gherkin, and each of its steps
// is a phrase of the step library.
func TestFeature_ParsesAndUsesKnownPhrases(t *testing.T) {
	phrases := stepPhrases(t)
	w := DefaultWorld()
	var reqs []Request
	for _, tamper := range append([]string{""}, Tampers...) {
		for _, scheme := range []string{"", "v1"} {
			r := base("OSSPrefix", "abc")
			r.Tamper, r.Scheme = tamper, scheme
			reqs = append(reqs, r)
		}
	}
	for _, setup := range Setups {
		r := base()
		if setup == SetupEndedTask {
			r = req("demo", "CancelTask", "RegionId", "cn-hangzhou", "TaskId", "t-1")
		}
		r.Setup = setup
		reqs = append(reqs, r)
	}
	reqs = append(reqs, base("OSSPrefix", "a-b"), base("ImageId", "m-eic-marketplace"), base("DryRun", "true"),
		base("Foo", "x"), req(UnknownKey, "ExportImage", "RegionId", "cn-hangzhou"),
		req("demo", "DescribeTasks", "RegionId", "cn-hangzhou", "PageSize", "x|y\\z"),
		req("demo", "CancelTask", "RegionId", "cn-hangzhou", "TaskId", "t-eic-modifydiskspec"))
	for _, r := range reqs {
		exp := ExpectSigned(w, nil, r, r.scheme("v3"), false)
		res := &Result{Request: r, Expected: exp, Exchange: &Exchange{Status: 200}}
		f := &Finding{ID: "t", Rule: RuleOf(exp), Request: &r, Expected: exp, Divergence: Divergence{"mismatch", "answered 200"},
			Results: []*Result{res}, Original: r.String()}
		text := Feature(f)
		doc, err := gherkin.ParseGherkinDocument(strings.NewReader(text), (&gherkinIDs{}).next)
		if err != nil {
			t.Errorf("%s: feature does not parse: %v\n%s", r, err, text)
			continue
		}
		if doc.Feature == nil || len(doc.Feature.Children) != 1 || doc.Feature.Children[0].Scenario == nil {
			t.Errorf("%s: want one scenario:\n%s", r, text)
			continue
		}
		for _, st := range doc.Feature.Children[0].Scenario.Steps {
			if !matchesAny(phrases, st.Text) {
				t.Errorf("%s: step %q is no phrase of the step library", r, st.Text)
			}
		}
	}
}

type gherkinIDs struct{ n int }

func (g *gherkinIDs) next() string { g.n++; return strconv.Itoa(g.n) }

func matchesAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
