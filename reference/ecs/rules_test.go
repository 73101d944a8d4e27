package ecs

import (
	"testing"

	"github.com/exportimage/eic/spec"
)

// TestOSSPrefixPattern_MatchesSpec holds the one copy of the OSSPrefix rule the reference
// cannot avoid (it does not load the OpenAPI document) to the document's pattern.
func TestOSSPrefixPattern_MatchesSpec(t *testing.T) {
	op, err := spec.MustLoad().Operation("ExportImage")
	if err != nil {
		t.Fatal(err)
	}
	params := append(op.PathItem.Parameters, op.Operation.Parameters...)
	p := params.GetByInAndName("query", "OSSPrefix")
	if p == nil || p.Schema == nil || p.Schema.Value == nil {
		t.Fatal("ExportImage has no OSSPrefix query parameter with a schema")
	}
	if got, want := p.Schema.Value.Pattern, OSSPrefixPattern; got != want {
		t.Errorf("openapi.yaml OSSPrefix pattern = %q, want %q (ecs.OSSPrefixPattern)", got, want)
	}
}

func TestValidOSSPrefix(t *testing.T) {
	for prefix, want := range map[string]bool{
		"EcsExport": true, "a": true, "012345678901234567890123456789": true,
		"": false, "0123456789012345678901234567890": false, "ecs-export": false, "ecs_export": false, "导出": false,
	} {
		if got := ValidOSSPrefix(prefix); got != want {
			t.Errorf("ValidOSSPrefix(%q) = %v, want %v", prefix, got, want)
		}
	}
}
