package fuzz

import (
	"strings"
	"testing"
)

func TestReport_WriteText(t *testing.T) {
	var empty strings.Builder
	(&Report{}).WriteText(&empty)
	for _, want := range []string{"0 requests checked", "findings by rule: none", "rows reached (0 of "} {
		if !strings.Contains(empty.String(), want) {
			t.Errorf("empty report:\n%s\nwant %q", empty.String(), want)
		}
	}

	rep := &Report{Checked: 3, Findings: []*Finding{
		{ID: "seed1-run2-x", Rule: "EI-E05", Divergence: Divergence{Kind: "mismatch", Detail: "200, want 400"}, File: "f.feature"},
		{ID: "seed1-run3-y", Known: "K1", Rule: "EI-E05", Divergence: Divergence{Kind: "5xx", Detail: "500"}},
	}}
	var b strings.Builder
	rep.WriteText(&b)
	for _, want := range []string{"[NEW] seed1-run2-x\n  mismatch: 200, want 400", "  scenario: f.feature", "[known K1] seed1-run3-y",
		"3 requests checked", "1 new divergences, 1 known", "findings by rule: EI-E05 2"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report:\n%s\nwant %q", b.String(), want)
		}
	}
}
