package main

import (
	"fmt"
	"io"
	"os"

	"github.com/exportimage/eic/spec"
)

func runSpec(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("spec", "[--check FILE] [--errors] [--rules]", stderr)
	check := fs.String("check", "", "validate an OpenAPI `file` in eic's modelling instead of printing the embedded one")
	errs := fs.Bool("errors", false, "print the error-code table (ID, HTTP status, code, message)")
	rules := fs.Bool("rules", false, "print the documented rules with their IDs")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eic spec: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	switch {
	case *check != "":
		data, err := os.ReadFile(*check)
		if err == nil {
			err = spec.Check(data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "eic spec: %s: %v\n", *check, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: valid\n", *check)
	case *errs:
		for _, c := range spec.Codes() {
			fmt.Fprintf(stdout, "%-8s %d %-40s %s\n", c.ID, c.Status(), c.Wire, c.Message())
		}
	case *rules:
		s, err := spec.Load()
		if err != nil {
			fmt.Fprintf(stderr, "eic spec: %v\n", err)
			return 1
		}
		for _, r := range s.Rules {
			fmt.Fprintf(stdout, "%-6s %s — %s\n", r.ID, r.Title, r.Text)
		}
	default:
		stdout.Write(spec.Document)
	}
	return 0
}
