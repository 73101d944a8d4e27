package ecs

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps_NoOpenAPI keeps the domain light: it names its errors through spec/errcode, never
// through package spec, which loads the OpenAPI document with kin-openapi.
func TestDeps_NoOpenAPI(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/exportimage/eic/spec" || strings.HasPrefix(dep, "github.com/getkin/kin-openapi") {
			t.Errorf("reference/ecs depends on %s", dep)
		}
	}
}
