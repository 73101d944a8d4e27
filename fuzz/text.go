package fuzz

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/exportimage/eic/spec"
)

// WriteText writes the report as eic fuzz prints it: each finding (NEW or known, the
// divergence, the model's expectation, the minimal request or sequence, its scenario file),
// then the counts: requests checked, findings by rule, error rows reached and not reached.
func (r *Report) WriteText(w io.Writer) {
	for _, f := range r.Findings {
		label := "NEW"
		if f.Known != "" {
			label = "known " + f.Known
		}
		fmt.Fprintf(w, "\n[%s] %s\n  %s\n  model: %s\n", label, f.ID, f.Divergence.Error(), f.Expected)
		if f.Request != nil {
			fmt.Fprintf(w, "  minimal: %s\n", f.Request)
		}
		if f.Steps != nil {
			fmt.Fprintf(w, "  minimal: %d steps\n", len(f.Steps))
		}
		if f.File != "" {
			fmt.Fprintf(w, "  scenario: %s\n", f.File)
		}
	}
	sum := r.Summary()
	rows := len(spec.Codes())
	fmt.Fprintf(w, "\n%d requests checked in %v: %d new divergences, %d known\n", r.Checked,
		r.Elapsed.Round(time.Millisecond), r.New(), len(r.Findings)-r.New())
	fmt.Fprintf(w, "findings by rule: %s\n", countList(sum.ByRule))
	fmt.Fprintf(w, "rows reached (%d of %d): %s\n", rows-len(sum.Unreached), rows, countList(sum.Reach))
	if len(sum.Unreached) > 0 {
		fmt.Fprintf(w, "rows not reached: %s\n", strings.Join(sum.Unreached, " "))
	}
}

// countList renders counts as "key n, key n" in key order ("none" when empty).
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
