package acs_test

import (
	"testing"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// TestAPIVersion_MatchesSpec: acs keeps its own copy of the version (it does not load the
// OpenAPI document); this holds it to the spec's.
func TestAPIVersion_MatchesSpec(t *testing.T) {
	if acs.APIVersion != spec.Version {
		t.Errorf("acs.APIVersion = %q, want %q (spec.Version)", acs.APIVersion, spec.Version)
	}
}
