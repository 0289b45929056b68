// Command specdoc writes the reference of the experiment spec,
// docs/spec-reference.md: every type of package experiment an experiment
// document holds (found by reflection from experiment.Experiment), each
// field's JSON name, type, required or default (from
// experiment.ApplyDefaults), allowed values (from the JSON Schema,
// schema/experiment.schema.json, which cmd/schemagen generates) and its Go
// doc comment. The blocks of the fault kinds that live in their own
// packages (registered by importing package kinds) are fields of Fault,
// and their types get sections too, with defaults from the block's
// ApplyDefaults (experiment.BlockDefaulter) and doc comments read from
// the kind's package directory; those sections are named as the schema
// names their definitions, after their package (NetworkSpec, StressSpec).
// Run it from the repository root:
//
//	go run ./cmd/specdoc            # writes docs/spec-reference.md
//	go run ./cmd/specdoc -o -       # prints it
//
// Its test fails when the committed reference is stale.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "docs/spec-reference.md", "output file, - for stdout")
	src := flag.String("src", "experiment", "directory of package experiment, for doc comments (the kinds' packages are found relative to it)")
	schema := flag.String("schema", "schema/experiment.schema.json", "the JSON Schema of experiments, for the value rules")
	flag.Parse()
	data, err := generate(*src, *schema)
	if err != nil {
		fmt.Fprintln(os.Stderr, "specdoc:", err)
		os.Exit(1)
	}
	if *out == "-" {
		_, err = os.Stdout.Write(data)
	} else {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "specdoc:", err)
		os.Exit(1)
	}
}
