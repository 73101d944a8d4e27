package spec

import "testing"

// TestVersion_MatchesDocument holds the Go constant to the document: its info.version and the
// one value the Version common parameter allows.
func TestVersion_MatchesDocument(t *testing.T) {
	s := MustLoad()
	if got := s.Doc.Info.Version; got != Version {
		t.Errorf("openapi.yaml info.version = %q, want %q (spec.Version)", got, Version)
	}
	p := s.Doc.Components.Parameters["Version"]
	if p == nil || p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
		t.Fatal("openapi.yaml has no Version parameter with a schema")
	}
	if got := p.Value.Schema.Value.Enum; len(got) != 1 || got[0] != Version {
		t.Errorf("openapi.yaml Version enum = %v, want [%s] (spec.Version)", got, Version)
	}
}
