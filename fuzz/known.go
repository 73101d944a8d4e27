package fuzz

import (
	"strings"

	"github.com/exportimage/eic/spec"
)

// Known is a divergence of the reference from the documents that has been reported and
// not fixed yet. Findings that match one are still reported, labelled with its ID; Run
// counts them apart so that a known bug does not hide a new one.
type Known struct {
	ID    string
	Why   string
	Match func(*Result) bool
}

// KnownDivergences are the reference's known departures from the documents.
//
// Fixed so far: int64-overflow (reference/api took any 19-digit integer as an int64) and
// dotted-scalar-name (reference/api took Name.N for any defined Name), both found by this
// fuzzer; their inputs stay in testdata/fuzz as regression cases.
var KnownDivergences = []Known{{
	ID: "v1-early-error-xml",
	Why: "reference/api answers XML to a request with Format=json when it refuses it before reading " +
		"Format (a wrong path or method, a query too large or undecodable); the spec allows JSON only",
	Match: func(r *Result) bool {
		x := r.Exchange
		early := map[string]bool{spec.ActionNotFound.Code: true, spec.UnsupportedHTTPMethod.Code: true,
			spec.RequestTooLarge.Code: true, spec.InvalidParameter.Code: true}
		return r.Divergence != nil && r.Divergence.Kind == "spec" && early[r.Code] && x != nil && x.Request != nil &&
			strings.EqualFold(x.Request.URL.Query().Get("Format"), "json") &&
			strings.Contains(x.Header.Get("Content-Type"), "xml")
	},
}}

// KnownID names the known divergence a result matches, or "".
func KnownID(r *Result) string {
	for _, k := range KnownDivergences {
		if k.Match(r) {
			return k.ID
		}
	}
	return ""
}
