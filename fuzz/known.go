package fuzz

import (
	"strconv"
	"strings"
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
var KnownDivergences = []Known{
	{
		ID: "int64-overflow",
		Why: "reference/api accepts any 1–19 digit integer for int64 parameters (OwnerId, " +
			"ResourceOwnerId, PageNumber…), so 9223372036854775808 passes the type check; the spec " +
			"says format int64 and the model expects InvalidParameter",
		Match: func(r *Result) bool {
			if r.Divergence == nil || r.Divergence.Kind != "mismatch" {
				return false
			}
			for _, p := range r.Request.Params {
				if actionParams[r.Request.Action][p.Name] == "integer" && isOverflow(p.Value) {
					return true
				}
			}
			return false
		},
	},
	{
		ID: "dotted-scalar-name",
		Why: "reference/api maps any Name.N to Name before looking the parameter up (meant for " +
			"flattened lists), so RegionId.1 or ImageId.x pass as defined parameters and are then " +
			"ignored; no list parameter of these actions is in the spec, and the api doc says unknown " +
			"parameters are refused (the model expects InvalidParameter)",
		Match: func(r *Result) bool {
			if r.Divergence == nil || r.Divergence.Kind != "mismatch" {
				return false
			}
			for _, p := range r.Request.Params {
				if base, _, ok := strings.Cut(p.Name, "."); ok && base != "" {
					if _, defined := actionParams[r.Request.Action][base]; defined {
						return true
					}
				}
			}
			return false
		},
	},
}

// isOverflow: at most 19 decimal digits (with an optional minus) that do not fit an int64.
func isOverflow(s string) bool {
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if d == "" || len(d) > 19 {
		return false
	}
	for _, c := range []byte(d) {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err != nil
}

// KnownID names the known divergence a result matches, or "".
func KnownID(r *Result) string {
	for _, k := range KnownDivergences {
		if k.Match(r) {
			return k.ID
		}
	}
	return ""
}
