// Package fuzz is eic's spec-driven fuzzer: it generates ExportImage (and DescribeTasks,
// DescribeTaskAttribute, CancelTask) requests from the OpenAPI document in spec/, predicts
// each answer with an independent model of the documented rules, and reports every
// divergence of an endpoint from that model, shrunk to a minimal case with a ready-to-commit
// .feature scenario.
//
// The pieces:
//
//   - World (fixtures.go) is the fuzzer's own picture of the reference's default fixtures
//     (docs/reference.md): accounts and keys, regions and their capabilities, images with
//     their properties, buckets, default quotas. It is written from the documentation, not
//     read from reference/ecs, so that the model is a second opinion.
//   - Generators (gen.go) derive valid and invalid values for every parameter from its
//     schema — required, type, enum, pattern, minLength/maxLength, minimum/maximum — and mix
//     in fixture IDs for resource parameters; whole requests are plain Request values that
//     print as replayable query strings.
//   - Expect (model.go) is a pure function from (World, State, Request) to the outcome the
//     documents prescribe: success, or a set of acceptable rows of the error table. It models
//     the transport (reference/api's documented parameter checks and authentication) and the
//     ExportImage order of checks of docs/reference.md.
//   - Session (session.go) sends requests to a Target (an in-process handler or any HTTP
//     endpoint), validates each answer against the spec, compares it with the model and keeps
//     the model's State in step; stateful sequences (stateful.go) add the clock, quotas and
//     task invariants, observed through the reference's control API.
//   - Run (diff.go) is the differential fuzzer behind `eic fuzz`: generate, check, shrink
//     (shrink.go), and write findings with their exact HTTP exchange and a .feature scenario
//     (feature.go).
//
// The model covers what the documents decide. Where they are silent (DescribeTasks filter
// values out of range, for instance) the model says so (Outcome.Any) and only the
// spec-validity and no-5xx properties apply.
package fuzz
