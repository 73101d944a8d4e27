// Command eic is the conformance suite, spec-driven fuzzer and reference implementation for
// the Alibaba Cloud ECS action ExportImage (API 2014-05-26). Each subcommand is thin wiring:
// flags are parsed here and the work is done by the library packages.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/exportimage/eic/spec"
)

// command is one subcommand: run parses args and returns the process exit code
// (0 success, 1 failure found, 2 usage or start-up error; eic run also 3, inconclusive:
// nothing was proven).
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the conformance suite against an endpoint (default: the embedded reference)", runRun},
		{"serve", "serve the reference implementation as a realistic mock of ECS", runServe},
		{"fuzz", "fuzz an endpoint with requests generated from the spec (default: the embedded reference)", runFuzz},
		{"image", "convert, inspect and verify disk images (raw, vhd, qcow2, vmdk, vdi)", runImage},
		{"spec", "print the embedded OpenAPI document, or check a document file", runSpec},
		{"report", "compare a report with a baseline, or render it as the HTML conformance page", runReport},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "eic — conformance suite, fuzzer and reference server for ECS ExportImage (%s)\n\n", spec.Version)
	fmt.Fprint(w, `Usage:
  eic <command> [flags] [args]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-6s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "eic <command> --help" for the flags of a command.
Exit codes: 0 pass, 1 a failure was found, 2 the command could not start; eic run also
3 INCONCLUSIVE when nothing was proven (nothing selected, everything skipped).
`)
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the subcommand named by args[0].
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "eic: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// subcommand is one subcommand of a command that has them (eic image, eic report).
type subcommand struct {
	name string
	run  func(args []string, stdout, stderr io.Writer) int
}

// runSubcommands dispatches args[0] among subs, by one convention for every such command: no
// subcommand prints the usage on stderr (exit 2); "help" prints it on stdout (exit 0); -h and
// --help print it on stderr like every command's --help (exit 0); an unknown subcommand is
// one line, a blank line and the usage on stderr (exit 2).
func runSubcommands(cmd, usage string, subs []subcommand, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "-h", "-help", "--help":
		fmt.Fprint(stderr, usage)
		return 0
	}
	for _, c := range subs {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "eic %s: unknown subcommand %q\n\n%s", cmd, args[0], usage)
	return 2
}
