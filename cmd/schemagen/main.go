// Command schemagen writes the JSON Schema of Tempest experiments,
// generated from the Go types of package experiment, their doc comments and
// the value rules Validate checks (experiment.SchemaRules). Run it from the
// repository root:
//
//	go run ./cmd/schemagen            # writes schema/experiment.schema.json and schema/campaign.schema.json
//	go run ./cmd/schemagen -o -       # prints it
//
// Its test fails when the committed schema is stale.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "schema/experiment.schema.json", "output file, - for stdout")
	src := flag.String("src", "experiment", "directory of package experiment, for doc comments")
	campaignOut := flag.String("campaign-o", "schema/campaign.schema.json", "output file of the campaign schema, - for stdout, empty for none")
	flag.Parse()
	if *campaignOut != "" {
		write(*campaignOut, generateCampaign, *src)
	}
	data, err := generate(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	if *out == "-" {
		_, err = os.Stdout.Write(data)
	} else {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}
