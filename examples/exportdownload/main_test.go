package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestExample builds the program with the go tool and runs it in its embedded mode: the
// export must finish and the download must match the source disk.
func TestExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	bin := filepath.Join(t.TempDir(), "exportdownload")
	gotool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gotool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("exportdownload: %v\n%s", err, out)
	}
	for _, want := range []string{"task Finished: object Example_m-eic-sg-custom_system.qcow2", "qcow2 image of a", "the download matches the source disk"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
