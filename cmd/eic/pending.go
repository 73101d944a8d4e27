package main

import (
	"fmt"
	"io"
)

// notYet answers for a subcommand whose implementation has not landed: it says so and fails,
// so nobody mistakes it for a passing run.
func notYet(name string) func([]string, io.Writer, io.Writer) int {
	return func(args []string, stdout, stderr io.Writer) int {
		fs := newFlagSet(name, "", stderr)
		if code, done := parseFlags(fs, args); done {
			return code
		}
		fmt.Fprintf(stderr, "eic %s: not implemented yet\n", name)
		return 2
	}
}

var (
	runImage = notYet("image")
)
