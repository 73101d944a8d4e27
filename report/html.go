package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/exportimage/eic/spec"
	"github.com/exportimage/eic/steps"
)

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"upper":       strings.ToUpper,
	"pct":         func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"failureView": func(f failure, open bool) failureView { return failureView{F: f, Open: open} },
	// frag links to a scenario's section. Its ID (slug characters, '+' and '/') needs no
	// escaping, and JUnit files link to the same unescaped fragment.
	"frag": func(id string) template.URL { return template.URL("#" + id) },
}).Parse(pageSource))

// page is what the template renders.
type page struct {
	R           steps.Report
	Diff        *Diff
	Version     string
	Started     string
	Title       string
	Chart       template.HTML
	Rows        []matrixRow
	Failures    []failure // counting failures; regressions first against a baseline
	Assumptions []failure // @assumption failures, reported apart
	Skipped     []steps.ScenarioResult
	Drift       []steps.MessageDrift
}

type matrixRow struct {
	ID, Kind, Code, HTTP, Title, Source, Quote, Status string
	Reasons                                            []string
	Scenarios                                          []scenarioRef
	Drift                                              []steps.MessageDrift
}

type scenarioRef struct {
	ID, Name, Location, Status string
	Assumption                 bool
	Anchored                   bool // has a section of its own on the page (a failure)
}

type failure struct {
	steps.ScenarioResult
	Anchor    string
	Class     string // regression or known against a baseline, "" without one
	Why       string
	Assertion string
	Detail    string // the rest of the error before the exchange (location, context)
	Exchange  string // the last HTTP exchange, masked
}

type failureView struct {
	F    failure
	Open bool
}

// Anchor is the fragment of a scenario's section on the page (its stable ID), for links from
// JUnit files: PAGE.html#Anchor(result).
func Anchor(s steps.ScenarioResult) string { return ScenarioID(s) }

// WriteHTMLFile writes the conformance page of rep (see WriteHTML) to path. The page is
// rendered before the file is written, so a failed rendering leaves path as it was.
func WriteHTMLFile(path string, rep steps.Report, d *Diff) error {
	data, err := renderHTML(rep, d)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// WriteHTML writes the conformance page of rep, with the comparison d when the run had a
// baseline (nil otherwise). The page is rendered whole before anything is written to w.
func WriteHTML(w io.Writer, rep steps.Report, d *Diff) error {
	data, err := renderHTML(rep, d)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// renderHTML renders the conformance page of rep and d.
func renderHTML(rep steps.Report, d *Diff) ([]byte, error) {
	p := page{R: rep, Diff: d}
	p.Version = rep.Eic.Module
	if rep.Eic.Revision != "" {
		rev := rep.Eic.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		p.Version += " " + rev
		if rep.Eic.Modified {
			p.Version += " (modified)"
		}
	}
	if rep.Eic.Go != "" {
		p.Version += ", " + rep.Eic.Go
	}
	if !rep.Started.IsZero() {
		p.Started = rep.Started.UTC().Format(time.RFC3339)
	}
	p.Title = fmt.Sprintf("eic conformance: %s — %s", strings.ToUpper(rep.Verdict), rep.Endpoint)
	p.Chart = template.HTML(featureChart(rep.Scenarios))

	type class struct{ name, why string }
	classOf := map[string]class{}
	if d != nil {
		for _, c := range d.Regressions {
			classOf[c.ID] = class{"regression", c.Why}
		}
		for _, c := range d.KnownFailures {
			classOf[c.ID] = class{"known", c.Why}
		}
	}
	anchored := map[string]bool{}
	for _, s := range rep.Scenarios {
		switch {
		case counted(s, rep.Strict):
			f := newFailure(s)
			if c, ok := classOf[f.Anchor]; ok {
				f.Class, f.Why = c.name, c.why
			}
			p.Failures = append(p.Failures, f)
			anchored[f.Anchor] = true
		case s.Status == "failed":
			f := newFailure(s)
			p.Assumptions = append(p.Assumptions, f)
			anchored[f.Anchor] = true
		case s.Status == "skipped":
			p.Skipped = append(p.Skipped, s)
		}
	}
	rank := map[string]int{"regression": 0, "known": 1, "": 2}
	sort.SliceStable(p.Failures, func(i, j int) bool {
		a, b := p.Failures[i], p.Failures[j]
		if rank[a.Class] != rank[b.Class] {
			return rank[a.Class] < rank[b.Class]
		}
		return a.Location < b.Location
	})
	sort.SliceStable(p.Assumptions, func(i, j int) bool { return p.Assumptions[i].Location < p.Assumptions[j].Location })
	sort.SliceStable(p.Skipped, func(i, j int) bool { return p.Skipped[i].Location < p.Skipped[j].Location })
	for _, m := range rep.Drift {
		m.Got = Mask(m.Got)
		p.Drift = append(p.Drift, m)
	}
	p.Rows = matrix(rep, anchored, p.Drift)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func newFailure(s steps.ScenarioResult) failure {
	f := failure{ScenarioResult: s, Anchor: Anchor(s)}
	text := Mask(s.Error)
	before, exchange, found := strings.Cut(text, "\n  last exchange:\n")
	if !found {
		before = text
	}
	f.Assertion, f.Detail, _ = strings.Cut(before, "\n")
	f.Detail = strings.TrimSpace(f.Detail)
	f.Exchange = strings.TrimRight(exchange, "\n")
	return f
}

// matrix builds one row per documented rule and error row of the report, with the scenarios
// citing it.
func matrix(rep steps.Report, anchored map[string]bool, drift []steps.MessageDrift) []matrixRow {
	var rows []matrixRow
	for _, id := range rep.IDs {
		r := matrixRow{ID: id.ID, Kind: id.Kind, Title: id.Title, Source: id.Source, Quote: id.Quote,
			Status: id.Status, Reasons: id.Reasons, Code: "—", HTTP: "—"}
		if c := spec.CodeByID(id.ID); c != nil {
			r.Code, r.HTTP = c.Wire, fmt.Sprint(c.Status())
		}
		for _, s := range rep.Scenarios {
			for _, t := range s.Tags {
				if t == "@"+id.ID {
					r.Scenarios = append(r.Scenarios, scenarioRef{ID: Anchor(s), Name: s.Name, Location: s.Location,
						Status: s.Status, Assumption: s.Assumption(), Anchored: anchored[Anchor(s)]})
					break
				}
			}
		}
		sort.SliceStable(r.Scenarios, func(i, j int) bool { return r.Scenarios[i].Location < r.Scenarios[j].Location })
		for _, m := range drift {
			if m.ID == id.ID {
				r.Drift = append(r.Drift, m)
			}
		}
		rows = append(rows, r)
	}
	return rows
}
