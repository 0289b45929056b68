package kinds_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/tempest-chaos/tempest/experiment"
	_ "github.com/tempest-chaos/tempest/kinds"
)

// TestExamplesWithEveryKind: every experiment under examples/ decodes and
// validates with every kind registered, and passes the committed JSON
// Schema. Package experiment's own tests cannot register the kinds that
// live in their own packages, so they leave examples using those to this
// test.
func TestExamplesWithEveryKind(t *testing.T) {
	schema := compileSchema(t, "../schema/experiment.schema.json")
	n := 0
	err := filepath.WalkDir("../examples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc map[string]any
		if yaml.Unmarshal(data, &doc) != nil || doc["kind"] != experiment.KindExperiment {
			return nil
		}
		n++
		t.Run(path, func(t *testing.T) {
			// Parameters take their defaults, as `tempest validate` without --set.
			data, _, _, err := experiment.ResolveParams(data, experiment.Params{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := experiment.Decode(path, data); err != nil {
				t.Fatalf("tempest validate would refuse it:\n%v", err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			value, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(value); err != nil {
				t.Errorf("the schema rejects it:\n%v", err)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no experiments under examples/")
	}
}

func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("experiment.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("experiment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
