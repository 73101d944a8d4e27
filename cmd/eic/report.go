package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/exportimage/eic/report"
	"github.com/exportimage/eic/steps"
)

const reportUsage = `Usage: eic report diff BASELINE NEW.json
       eic report html REPORT.json -o FILE [--baseline BASELINE]

  diff  compare a report with a baseline (an earlier JSON report or a hand-written
        known-failures file: ID, blanks, reason per line)
  html  render a stored report as the self-contained HTML conformance page

Exit codes of diff: 0 no regression, 1 regressions, 2 bad arguments or unreadable files.
`

// runReport is eic report: work on stored JSON reports without running anything.
func runReport(args []string, stdout, stderr io.Writer) int {
	return runSubcommands("report", reportUsage, []subcommand{
		{"diff", runReportDiff}, {"html", runReportHTML},
	}, args, stdout, stderr)
}

func runReportDiff(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report diff", "BASELINE NEW.json", stderr)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	pos := fs.Args()
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "eic report diff: want BASELINE and NEW.json, got %d argument(s)\n", len(pos))
		return 2
	}
	base, err := report.LoadBaseline(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "eic report diff: %v\n", err)
		return 2
	}
	cur, err := loadReport(pos[1])
	if err != nil {
		fmt.Fprintf(stderr, "eic report diff: %v\n", err)
		return 2
	}
	d := report.Compare(base, cur)
	d.WriteSummary(stdout)
	if len(d.Regressions) > 0 {
		return 1
	}
	return 0
}

func runReportHTML(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report html", "REPORT.json -o FILE [--baseline BASELINE]", stderr)
	out := fs.String("o", "", "write the page to `file` (\"-\" for stdout)")
	baseline := fs.String("baseline", "", "compare with this `baseline` (earlier JSON report or known-failures file) and show regressions first")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	pos := fs.Args()
	if len(pos) != 1 || *out == "" {
		fmt.Fprintf(stderr, "eic report html: want REPORT.json and -o FILE\n")
		return 2
	}
	rep, err := loadReport(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "eic report html: %v\n", err)
		return 2
	}
	var d *report.Diff
	if *baseline != "" {
		base, err := report.LoadBaseline(*baseline)
		if err != nil {
			fmt.Fprintf(stderr, "eic report html: %v\n", err)
			return 2
		}
		diff := report.Compare(base, rep)
		report.Apply(&rep, diff)
		d = &diff
	}
	if *out == "-" {
		err = report.WriteHTML(stdout, rep, d)
	} else {
		err = report.WriteHTMLFile(*out, rep, d)
	}
	if err != nil {
		fmt.Fprintf(stderr, "eic report html: %v\n", err)
		return 2
	}
	return 0
}

// loadReport reads a JSON report written by eic run --report.
func loadReport(path string) (steps.Report, error) {
	var rep steps.Report
	data, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("%s: not a JSON report: %v", path, err)
	}
	if rep.Verdict == "" && len(rep.Scenarios) == 0 {
		return rep, fmt.Errorf("%s: not an eic JSON report (no verdict, no scenarios)", path)
	}
	return rep, nil
}
