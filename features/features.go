// Package features embeds the conformance suite's Gherkin features and its fixtures files,
// so eic run works from any directory. The folder holds nothing else: .feature files, one
// folder per concern, and fixtures/*.yaml.
package features

import "embed"

// FS holds every .feature file (one folder per concern: export/, tasks/, protocol/, and any
// folder added later — eic run loads every folder) and fixtures/*.yaml.
//
//go:embed */*.feature fixtures/*.yaml
var FS embed.FS

// ReferenceFixtures is the path in FS of the fixtures file for the reference server.
const ReferenceFixtures = "fixtures/reference.yaml"
