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

func TestEndpointURL(t *testing.T) {
	for in, want := range map[string]string{
		"ecs.aliyuncs.com":          "https://ecs.aliyuncs.com",
		"127.0.0.1:8080":            "https://127.0.0.1:8080",
		"http://127.0.0.1:8080":     "http://127.0.0.1:8080",
		"https://ecs.aliyuncs.com/": "https://ecs.aliyuncs.com/",
	} {
		if got := acs.EndpointURL(in); got != want {
			t.Errorf("EndpointURL(%q) = %q, want %q", in, got, want)
		}
	}
}
