package steps

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/exportimage/eic/spec"
)

// refusalPhrase is the argument of "the request is refused with <status> <Code> (<ID>)",
// with alternatives joined by " or ": the pair is the verdict, the ID names the row of the
// table in spec/ (eic spec --errors) that the step checks the pair against.
const refusalPhrase = `(\d{3} [A-Za-z0-9.]+ \([A-Z]+-[A-Z]+\d+\)(?: or \d{3} [A-Za-z0-9.]+ \([A-Z]+-[A-Z]+\d+\))*)`

var refusalTerm = regexp.MustCompile(`^(\d{3}) ([A-Za-z0-9.]+) \(([A-Z]+-[A-Z]+\d+)\)$`)

// parseRefusal resolves "400 InvalidOSSBucket.NotFound (EI-E16) or …" to table rows. A pair
// that disagrees with its row (a typo in the feature, or a feature out of date with the
// table) is an error, never a silent pass.
func parseRefusal(text string) ([]*spec.Code, error) {
	var rows []*spec.Code
	for _, term := range strings.Split(text, " or ") {
		m := refusalTerm.FindStringSubmatch(term)
		if m == nil {
			return nil, fmt.Errorf("refusal %q: want <status> <Code> (<ID>)", term)
		}
		row := spec.CodeByID(m[3])
		if row == nil {
			return nil, fmt.Errorf("refusal %q: no error row %s in the table (eic spec --errors)", term, m[3])
		}
		status, _ := strconv.Atoi(m[1])
		if row.Wire != m[2] || row.Status() != status {
			return nil, fmt.Errorf("refusal %q: the table says %s is %d %s", term, row.ID, row.Status(), row.Wire)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (w *world) refusedWithPair(ctx context.Context, text string) error {
	rows, err := parseRefusal(text)
	if err != nil {
		return w.fail(err)
	}
	return w.refusedAs(ctx, rows)
}

// refusedAs is the error verdict: the response's HTTP status and wire code must be those of
// one of rows or of a known variant (x-eic-variants). The message is then compared with the
// documented text and the variants' texts; a difference is message drift, recorded for the
// report and the summary, failing the run only with --strict.
func (w *world) refusedAs(ctx context.Context, rows []*spec.Code) error {
	if id := w.acceptedTask(); id != "" {
		w.recordTask(ctx, id, "unintended")
		return w.failf("the export was accepted (task %s, cancelled at once), want a refusal %d %s (%s)", id, rows[0].Status(), rows[0].Wire, rows[0].ID)
	}
	env, err := w.errorEnvelope()
	if err != nil {
		return err
	}
	s := w.cfg.spec()
	var want []string
	for _, row := range rows {
		pair, matched := matchRow(s, row, w.last.status, env.Code, env.Message)
		if matched {
			return nil
		}
		if pair {
			w.cfg.results.addDrift(MessageDrift{ID: row.ID, Code: env.Code, Scenario: w.pickle.Name,
				Location: w.location, Documented: row.Message(), Got: env.Message})
			return nil
		}
		want = append(want, fmt.Sprintf("%d %s (%s)", row.Status(), row.Wire, row.ID))
		for _, v := range s.Variants(row.ID) {
			if v.Code != row.Wire || v.Status != row.Status() {
				want = append(want, fmt.Sprintf("%d %s (variant of %s)", v.Status, v.Code, row.ID))
			}
		}
	}
	return w.failf("error = %d %s, want %s", w.last.status, env.Code, strings.Join(want, " or "))
}

// matchRow tells whether status and code are those of row or of one of its variants (pair)
// and, if so, whether message is the text of one of the forms with that pair (message).
func matchRow(s *spec.Spec, row *spec.Code, status int, code, message string) (pair, matched bool) {
	type form struct {
		status  int
		code    string
		matches func(string) bool
	}
	forms := []form{{row.Status(), row.Wire, row.Matches}}
	for _, v := range s.Variants(row.ID) {
		forms = append(forms, form{v.Status, v.Code, v.Matches})
	}
	for _, f := range forms {
		if f.status != status || f.code != code {
			continue
		}
		pair = true
		if f.matches(message) {
			return true, true
		}
	}
	return pair, false
}
