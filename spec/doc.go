// Package spec is the API as documented: the embedded OpenAPI document of the ECS actions eic
// serves and tests (ExportImage, DescribeTasks, DescribeTaskAttribute, CancelTask,
// DescribeImages, DescribeRegions), the error-code table and the documented rules.
//
// The OpenAPI document (openapi.yaml) is the one source of every fact here. The error table
// lives in its x-eic-errors extension; errcode/rows_gen.go (the rows, in the light package
// errcode that the domain imports) and errors_gen.go (spec's names for them) are generated from
// it (go generate ./spec), and a test fails when they drift. The rules live in x-eic-rules and are read at load time.
//
// It does not check signatures or decide which error wins when several apply: that is the
// protocol layer's and the reference's job.
package spec

//go:generate go run ./internal/errgen/generate -in openapi.yaml -rows errcode/rows_gen.go -out errors_gen.go
