package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/exportimage/eic/steps"
)

// Baseline is what a run is compared against: the scenarios of an earlier report, or the
// entries of a hand-written known-failures file.
type Baseline struct {
	// Source names the file it was loaded from.
	Source string
	// Report is the earlier report when the baseline is one (nil for a hand-written file).
	Report *steps.Report
	// Entries are the hand-written known failures, in file order.
	Entries []Entry
}

// Entry is one line of a hand-written baseline: a stable scenario ID (as eic report diff and
// the page show it) or a rule/error ID (EI-R14, EI-E16: every scenario citing it), and the
// team's reason. A reason holding a `backquoted` fragment pins the failure: when the failing
// assertion no longer contains the fragment, the known failure's reason has changed and it
// counts as a regression.
type Entry struct {
	ID     string
	Reason string
	Line   int
}

// Pin is the backquoted fragment of the reason, or "".
func (e Entry) Pin() string {
	if m := pinPattern.FindStringSubmatch(e.Reason); m != nil {
		return m[1]
	}
	return ""
}

var pinPattern = regexp.MustCompile("`([^`]+)`")

var ruleOrErrorID = regexp.MustCompile(`^(EI|ACS|CO)-[A-Z]?\d+$`)

// IsRuleOrError reports whether the entry names a rule or error row rather than a scenario.
func (e Entry) IsRuleOrError() bool { return ruleOrErrorID.MatchString(e.ID) }

// LoadBaseline reads a baseline file: a JSON report (its first non-blank byte is '{'), or a
// hand-written file of lines
//
//	# comment
//	EI-E16   we answer NotMatched for buckets in other regions (PROJ-42)
//	EI-E16+EI-R14/a-missing-bucket-is-refused   our bucket check is asynchronous: `code = "OK"`
//
// (the ID, blanks, the reason; blank lines and # comments are ignored). Every entry must have
// a reason, and an ID must appear once.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := ParseBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	b.Source = path
	return b, nil
}

// ParseBaseline is LoadBaseline on bytes.
func ParseBaseline(data []byte) (*Baseline, error) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var rep steps.Report
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if err := dec.Decode(&rep); err != nil {
			return nil, fmt.Errorf("not a JSON report: %v", err)
		}
		if len(rep.Scenarios) == 0 && rep.Verdict == "" {
			return nil, fmt.Errorf("not an eic JSON report (no verdict, no scenarios)")
		}
		return &Baseline{Report: &rep}, nil
	}
	b := &Baseline{}
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(strings.ReplaceAll(line, "\t", " "), " ")
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return nil, fmt.Errorf("line %d: %q has no reason (want: ID, blanks, why it is known to fail)", n, id)
		}
		if first, dup := seen[id]; dup {
			return nil, fmt.Errorf("line %d: %s is already listed on line %d", n, id, first)
		}
		seen[id] = n
		b.Entries = append(b.Entries, Entry{ID: id, Reason: reason, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(b.Entries) == 0 {
		return nil, fmt.Errorf("no entries (want lines of: ID, blanks, reason; or a JSON report)")
	}
	return b, nil
}
