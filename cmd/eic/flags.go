package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlagSet returns a flag set that reports errors instead of exiting, with a usage text
// made of a synopsis line and the flags, each printed as --name.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("eic "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: eic %s %s\n\nFlags:\n", name, synopsis)
		printFlags(fs.Output(), fs)
	}
	return fs
}

// printFlags lists fs's flags as "--name value" with their usage and non-zero default, the
// spelling the README and every example use (package flag would print one dash).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			line += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintln(w, line)
	})
}

// parseFlags parses args, accepting flags before, between and after the positional
// arguments (everything after a "--" is positional); fs.Args() then holds the positional
// arguments in order. done is true when the command must return code at once (0 after
// --help, 2 after a bad flag, usage already printed).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0, true
			}
			return 2, true
		}
		consumed := len(rest) - fs.NArg()
		after := fs.Args()
		if consumed > 0 && rest[consumed-1] == "--" && !isFlagValue(fs, rest[:consumed-1]) {
			positional = append(positional, after...)
			break
		}
		if len(after) == 0 {
			break
		}
		positional = append(positional, after[0])
		rest = after[1:]
	}
	// Parsing "--" first stores the positional arguments as fs.Args() without touching flags.
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return 2, true
	}
	return 0, false
}

// isFlagValue reports whether the argument after parsed (a run of arguments fs just parsed)
// is the value of a non-boolean flag written as "--name value", rather than a terminator.
func isFlagValue(fs *flag.FlagSet, parsed []string) bool {
	if len(parsed) == 0 {
		return false
	}
	last := parsed[len(parsed)-1]
	if !strings.HasPrefix(last, "-") || strings.Contains(last, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimLeft(last, "-"))
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}
