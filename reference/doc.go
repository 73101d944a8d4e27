// Package reference is the reference implementation of ECS ExportImage and its companion
// actions, as a library: New(opts...) returns a Server, an http.Handler serving the ECS RPC API
// at "/" and the control API at "/_reference/"; Server.OSS is a second handler serving the
// same buckets over the OSS API. HTTPClient and OSSHTTPClient reach both in process, without a
// socket. With no options a Server is hermetic: built-in fixtures, memory store, real clock.
// Its behaviour, fixtures and control API are documented in docs/reference.md.
//
// It holds wiring only: the options, the request log line, the HTTP servers' timeouts and the
// in-process transport; and the mutants and variants. It imports its own subpackages —
// reference/ecs (the domain), reference/oss (the stores), reference/journal (the state file),
// reference/api (the ECS RPC layer and the control API), reference/ossapi (the OSS API) — plus
// spec and internal/acs, which the mutants use to name error rows and to re-sign requests.
// Only cmd/eic, reference/eictest and the embedded servers of the suite (steps) and the fuzzer
// (fuzz) import it; the domain and the HTTP layers never do.
//
// WithMutant builds a deliberately broken variant, used to prove that the conformance suite
// and the fuzzer detect real departures from the document; it is never a real setting.
// WithVariant shows a behaviour the document permits but the reference does not by default.
// Both change the reference from the outside (wrap.go): they wrap the actions New hands to
// the ECS handler and the handler itself. reference/api knows nothing of them, and a reference
// built without any serves the unwrapped handler.
package reference
