// Package reference is the reference implementation of ECS ExportImage and its companion
// actions: New wires the domain (reference/ecs), the object store (reference/oss), the image
// writers (reference/diskimage) and the HTTP layer (reference/api) into one http.Handler;
// Server.OSS is a second handler serving the same buckets over the OSS API (reference/ossapi).
// It holds wiring only. Its behaviour, fixtures and control API are documented in
// docs/reference.md.
//
// WithMutant builds deliberately broken variants, used to prove that the conformance suite
// and the fuzzer detect real departures from the document. They are never a real setting.
package reference
