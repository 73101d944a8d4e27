// Package steps is eic's conformance suite as a library: the godog step library the features
// under features/ are written in, the runner (Run) that executes them against an ECS
// endpoint, and the report of a run (Report, its verdict, coverage and exit code).
//
// Register adds every step to one scenario with a fresh world (world.go): who calls and how,
// the request being built, the last exchange and the task the scenario created. Its doc
// comment is the step catalogue. The steps live by what they do: given.go (credentials,
// parameters, one-shot tweaks, the reference's control API), when.go (the calls), send.go
// (signing, sending, recording and decoding the last response), then.go and refusal.go (the
// verdicts on a response), tasks.go (task states and polling), exported.go and objects.go (the
// exported objects, read back and deleted after the scenario); bookkeeping.go lists what a run
// creates. The runner and its outputs are suite.go, results.go (what a run collects),
// report.go (the report, its verdict and summary), outputs.go and scenario.go.
//
// Steps talk to an endpoint over HTTP only, the way any client would: they may import spec
// (the documented API, to validate every response), internal/acs (signing and the error
// envelope), internal/objects (OSS reads and deletes), internal/control (the reference's
// control API, used only when a scenario is tagged @reference and the endpoint offers it),
// reference/diskimage (to read exported images back) and features (the embedded .feature
// files). They never reach into the reference's internals: reference and reference/eictest
// are imported by embedded.go only, to start the embedded server eic run uses without
// --endpoint.
//
// Every step that sends takes godog's scenario context first and sends with it; the scenario
// contexts derive from RunOptions.Context, so cancelling that stops the run's HTTP calls.
package steps
