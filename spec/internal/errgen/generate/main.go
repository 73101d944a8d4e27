// Command generate writes spec/errors_gen.go from the x-eic-errors table of spec/openapi.yaml.
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
	out := flag.String("out", "errors_gen.go", "the Go file to write")
	flag.Parse()
	doc, err := os.ReadFile(*in)
	if err == nil {
		var src []byte
		if src, err = errgen.Generate(doc); err == nil {
			err = os.WriteFile(*out, src, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
