// Package report reads eic's JSON conformance reports (steps.Report) and turns them into what
// a CI gate and a reviewer need: a comparison against a baseline of known failures
// (regressions, known failures, improvements) and a self-contained HTML conformance page.
//
// A baseline is either an earlier JSON report or a small hand-written file listing known
// failures by stable scenario ID or by rule/error ID, each with a reason (see LoadBaseline).
// The page is one HTML file with its CSS inline and no script at all: it needs no network,
// reads the same with scripting off, in a narrow window and on paper. Secrets and signatures
// in recorded HTTP exchanges are masked (Mask) before anything is written.
//
// It does not run anything: eic run calls it after the suite, eic report on stored reports.
package report
