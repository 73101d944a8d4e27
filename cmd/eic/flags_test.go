package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestParseFlags_AnyOrder(t *testing.T) {
	tests := []struct {
		args      []string
		to        string
		fixed     bool
		positions []string
	}{
		{[]string{"--to", "vhd", "a", "b"}, "vhd", false, []string{"a", "b"}},
		{[]string{"a", "b", "--to", "vhd"}, "vhd", false, []string{"a", "b"}},
		{[]string{"a", "--vhd-fixed", "b", "--to=qcow2"}, "qcow2", true, []string{"a", "b"}},
		{[]string{"a", "--", "--to", "b"}, "", false, []string{"a", "--to", "b"}},
		{[]string{"--to", "--", "a"}, "--", false, []string{"a"}},
	}
	for _, tt := range tests {
		fs := newFlagSet("test", "", &bytes.Buffer{})
		to := fs.String("to", "", "")
		fixed := fs.Bool("vhd-fixed", false, "")
		if code, done := parseFlags(fs, tt.args); done {
			t.Errorf("parseFlags(%q) = %d, done", tt.args, code)
			continue
		}
		if *to != tt.to || *fixed != tt.fixed || !slices.Equal(fs.Args(), tt.positions) {
			t.Errorf("parseFlags(%q): to %q fixed %v args %q, want %q %v %q", tt.args, *to, *fixed, fs.Args(), tt.to, tt.fixed, tt.positions)
		}
	}
}

// TestCommands_FlagsAfterArguments runs every command with a bad flag after an argument: the
// flag must be parsed (and refused), not taken for a second argument.
func TestCommands_FlagsAfterArguments(t *testing.T) {
	for _, c := range commands() {
		args := []string{c.name, "extra", "--no-such-flag"}
		switch c.name {
		case "image":
			args = []string{"image", "info", "file", "--no-such-flag"}
		case "report":
			args = []string{"report", "diff", "old.json", "new.json", "--no-such-flag"}
		}
		code, _, stderr := run(t, args...)
		if code != 2 || !strings.Contains(stderr, "flag provided but not defined: -no-such-flag") {
			t.Errorf("eic %q = %d %q, want the late flag refused", args, code, stderr)
		}
	}
}

func TestUsage_DoubleDash(t *testing.T) {
	for _, c := range commands() {
		if c.name == "image" {
			continue // TestImage_Help
		}
		_, _, stderr := run(t, c.name, "--help")
		if strings.Contains(stderr, "\n  -") && !strings.Contains(stderr, "\n  --") {
			t.Errorf("eic %s --help prints single-dash flags:\n%s", c.name, stderr)
		}
		for _, line := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "  --") {
				t.Errorf("eic %s --help: %q", c.name, line)
			}
		}
	}
}
