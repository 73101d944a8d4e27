package fuzz

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
// None is open. Fixed so far, all found by this fuzzer: int64-overflow (reference/api took any
// 19-digit integer as an int64), dotted-scalar-name (it took Name.N for any defined Name) and
// v1-early-error-xml (a refusal made before Format was read answered XML to Format=json).
var KnownDivergences = []Known{}

// KnownID names the known divergence a result matches, or "".
func KnownID(r *Result) string {
	for _, k := range KnownDivergences {
		if k.Match(r) {
			return k.ID
		}
	}
	return ""
}
