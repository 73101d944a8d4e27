package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exportimage/eic/reference"
)

func TestFuzz_StartErrors(t *testing.T) {
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"--signature", "v2"}, `--signature "v2"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--mutant", "no-such"}, `unknown mutant "no-such"`},
		{[]string{"--endpoint", "http://127.0.0.1:1"}, "unreachable"},
		{[]string{"--endpoint", "http://127.0.0.1:1", "--mutant", "prefix-31"}, "embedded reference only"},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, append([]string{"fuzz"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("eic fuzz %v = %d, stderr %q; want 2 containing %q", tt.args, code, stderr, tt.inStderr)
		}
	}
}

func TestFuzz_StatefulNeedsControl(t *testing.T) {
	srv := httptest.NewServer(mustReference(t))
	defer srv.Close()
	code, _, stderr := run(t, "fuzz", "--endpoint", srv.URL, "--stateful")
	if code != 2 || !strings.Contains(stderr, "control API") {
		t.Errorf("eic fuzz --stateful without token = %d, %q; want 2", code, stderr)
	}
}

func mustReference(t *testing.T) *reference.Server {
	t.Helper()
	s, err := reference.New(reference.WithControlToken("tok"), reference.WithStrictParams()) // the fuzz model refuses unknown parameters
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFuzz_EmbeddedReferenceAgrees(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, "fuzz", "--runs", "200", "--seed", "3", "--out", out)
	if code != 0 {
		t.Fatalf("eic fuzz = %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "0 new divergences") {
		t.Errorf("stdout lacks the summary:\n%s", stdout)
	}
}

func TestFuzz_EndpointWithControlToken(t *testing.T) {
	srv := httptest.NewServer(mustReference(t))
	defer srv.Close()
	code, stdout, stderr := run(t, "fuzz", "--endpoint", srv.URL, "--control-token", "tok", "--runs", "100", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("eic fuzz --endpoint = %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestFuzz_MutantIsCaughtWithAScenario(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, "fuzz", "--mutant", "prefix-31", "--runs", "500", "--out", out)
	if code != 1 {
		t.Fatalf("eic fuzz --mutant prefix-31 = %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	features, _ := filepath.Glob(filepath.Join(out, "*.feature"))
	var found bool
	for _, f := range features {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), `Then the request is refused with error "EI-E05"`) &&
			strings.Contains(string(data), `When I call "ExportImage" with:`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no .feature expecting EI-E05 in %v\n%s", features, stdout)
	}
	reports, _ := filepath.Glob(filepath.Join(out, "*.txt"))
	if len(reports) == 0 {
		t.Fatal("no report written")
	}
	data, _ := os.ReadFile(reports[0])
	for _, want := range []string{"Seed: 1", "POST /?", "HTTP/1.1 ", "X-Acs-Request-Id"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("report lacks %q:\n%s", want, data)
		}
	}
}

func TestFuzz_StatefulEmbedded(t *testing.T) {
	code, stdout, stderr := run(t, "fuzz", "--stateful", "--runs", "4", "--seq-len", "10", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("eic fuzz --stateful = %d\n%s\n%s", code, stdout, stderr)
	}
}
