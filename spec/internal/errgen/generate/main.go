// Command generate writes spec/errcode/rows_gen.go and spec/errors_gen.go from the x-eic-errors table of spec/openapi.yaml.
// Run it through `go generate ./spec`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/exportimage/eic/spec/internal/errgen"
)

func main() {
	in := flag.String("in", "openapi.yaml", "the OpenAPI document")
	rowsOut := flag.String("rows", "errcode/rows_gen.go", "the Go file of the rows (package errcode)")
	out := flag.String("out", "errors_gen.go", "the Go file of spec's names for the rows")
	flag.Parse()
	doc, err := os.ReadFile(*in)
	if err == nil {
		var rows, aliases []byte
		if rows, aliases, err = errgen.Generate(doc); err == nil {
			if err = os.WriteFile(*rowsOut, rows, 0o644); err == nil {
				err = os.WriteFile(*out, aliases, 0o644)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
