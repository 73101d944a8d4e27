package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDispatch_Usage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{nil, 2, "Commands:"},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"spec", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"spec", "extra"}, 2, "unexpected argument"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("eic %v = %d, stderr %q; want %d containing %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
	}
	if code, stdout, _ := run(t, "--help"); code != 0 || !strings.Contains(stdout, "serve") {
		t.Errorf("eic --help = %d %q", code, stdout)
	}
	for _, c := range commands() {
		if code, _, stderr := run(t, c.name, "--help"); code != 0 || !strings.Contains(stderr, "Usage: eic "+c.name) {
			t.Errorf("eic %s --help = %d, stderr %q", c.name, code, stderr)
		}
	}
}

func TestSpec_PrintAndCheck(t *testing.T) {
	code, stdout, _ := run(t, "spec")
	if code != 0 || !strings.HasPrefix(stdout, "openapi: 3.0") {
		t.Fatalf("eic spec = %d, %.40q", code, stdout)
	}
	good := filepath.Join(t.TempDir(), "good.yaml")
	if err := os.WriteFile(good, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "spec", "--check", good); code != 0 {
		t.Errorf("check good = %d: %s", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	broken := strings.Replace(stdout, "operationId: CancelTask", "operationId: ExportImage", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "spec", "--check", bad); code != 1 || !strings.Contains(stderr, "operation id") {
		t.Errorf("check bad = %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "spec", "--check", filepath.Join(t.TempDir(), "missing.yaml")); code != 1 || stderr == "" {
		t.Errorf("check missing = %d: %s", code, stderr)
	}
	if code, stdout, _ := run(t, "spec", "--errors"); code != 0 || !strings.Contains(stdout, "EI-E24") {
		t.Errorf("eic spec --errors = %d", code)
	}
}
