package steps

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strings"

	messages "github.com/cucumber/messages/go/v34"
)

// StepResult is one step of a scenario as it ran, for the conformance page.
type StepResult struct {
	Keyword string `json:"keyword"` // Given, When, Then, And, But
	Text    string `json:"text"`
	// Status is passed, failed, skipped, undefined, pending, ambiguous, or "not run" when
	// godog never reached the step.
	Status string `json:"status"`
}

// Stable scenario IDs name a scenario in baselines and are the anchors of the conformance
// page, so they must survive edits of other scenarios and other features: no line numbers.
//
//   - A scenario tagged @id:NAME has the ID NAME.
//   - Otherwise the ID is its rule and error IDs (sorted, joined by "+"), a slash and the slug
//     of its title, e.g. "EI-E16+EI-R14/a-missing-bucket-is-refused". A row of a Scenario
//     Outline adds a slash and the slug of the row's values ("…/ab-c"; values longer than 40
//     characters are cut and get a short hash of the whole row).
//
// TestScenarioID_UniqueAcrossFeatures holds them unique across the built-in features.
const idTagPrefix = "@id:"

var ruleIDTag = regexp.MustCompile(`^@((EI|ACS|CO)-[A-Z]?\d+)$`)

// scenarioID computes the stable ID of a pickle; rows maps the AST IDs of outline example
// rows to their cell values.
func scenarioID(p *messages.Pickle, rows map[string][]string) string {
	var ids []string
	for _, t := range p.Tags {
		if strings.HasPrefix(t.Name, idTagPrefix) {
			return strings.TrimPrefix(t.Name, idTagPrefix)
		}
		if m := ruleIDTag.FindStringSubmatch(t.Name); m != nil {
			ids = append(ids, m[1])
		}
	}
	sort.Strings(ids)
	ids = dedupe(ids)
	id := strings.Join(ids, "+")
	if id == "" {
		id = "untagged"
	}
	id += "/" + slug(p.Name)
	for _, node := range p.AstNodeIds {
		if cells, ok := rows[node]; ok {
			whole := slug(strings.Join(cells, " "))
			if whole == "" {
				whole = "empty"
			}
			if len(whole) > 40 {
				h := fnv.New32a()
				h.Write([]byte(strings.Join(cells, "\x00")))
				whole = strings.TrimRight(whole[:40], "-") + fmt.Sprintf("-%06x", h.Sum32()&0xffffff)
			}
			id += "/" + whole
		}
	}
	return id
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// slug lower-cases s and turns every run of characters other than letters and digits into
// one hyphen: the ID stays readable, typeable in a baseline file and usable as an anchor.
func slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			continue
		}
		hyphen = true
	}
	return b.String()
}

// documentIndex maps the AST of one feature: outline example rows to their values and steps
// to their keywords.
type documentIndex struct {
	rows     map[string][]string
	keywords map[string]string
}

func indexDocument(doc *messages.GherkinDocument) documentIndex {
	ix := documentIndex{rows: map[string][]string{}, keywords: map[string]string{}}
	if doc == nil || doc.Feature == nil {
		return ix
	}
	addSteps := func(steps []*messages.Step) {
		for _, st := range steps {
			ix.keywords[st.Id] = strings.TrimSpace(st.Keyword)
		}
	}
	scenario := func(sc *messages.Scenario) {
		addSteps(sc.Steps)
		for _, ex := range sc.Examples {
			for _, row := range ex.TableBody {
				var cells []string
				for _, c := range row.Cells {
					cells = append(cells, c.Value)
				}
				ix.rows[row.Id] = cells
			}
		}
	}
	for _, ch := range doc.Feature.Children {
		if ch.Background != nil {
			addSteps(ch.Background.Steps)
		}
		if ch.Scenario != nil {
			scenario(ch.Scenario)
		}
		if ch.Rule != nil {
			for _, rc := range ch.Rule.Children {
				if rc.Background != nil {
					addSteps(rc.Background.Steps)
				}
				if rc.Scenario != nil {
					scenario(rc.Scenario)
				}
			}
		}
	}
	return ix
}

// stepKeywords lists the keyword of each of the pickle's steps.
func (ix documentIndex) stepKeywords(p *messages.Pickle) []string {
	out := make([]string, len(p.Steps))
	for i, st := range p.Steps {
		if len(st.AstNodeIds) > 0 {
			out[i] = ix.keywords[st.AstNodeIds[0]]
		}
	}
	return out
}

// describe returns the stable ID of a running scenario and its steps with the status each
// step ended with (by pickle step ID).
func (c *Config) describe(p *messages.Pickle, status map[string]string) (string, []StepResult) {
	info := c.scenarios[pickleKey(p)]
	id := info.id
	if id == "" {
		id = scenarioID(p, nil)
	}
	steps := make([]StepResult, len(p.Steps))
	for i, st := range p.Steps {
		steps[i] = StepResult{Text: st.Text, Status: status[st.Id]}
		if i < len(info.keywords) {
			steps[i].Keyword = info.keywords[i]
		}
		if steps[i].Status == "" {
			steps[i].Status = "not run"
		}
	}
	return id, steps
}
