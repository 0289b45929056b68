package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// committedSchema is the schema editors use; cmd/schemagen's test keeps it
// equal to the generator's output.
const committedSchema = "../schema/experiment.schema.json"

// notJSON are the bad specs that are not one JSON document, so no schema
// sees them: the YAML parser (an editor's, or Decode's) reports them.
var notJSON = map[string]string{
	"invalid-yaml":  "a YAML syntax error",
	"two-documents": "two YAML documents in one file",
	"duplicate-key": "a key written twice: JSON parsers keep one of the values, and a schema sees only that",
}

// schemaCannotExpress are the bad specs whose only problems are rules the
// schema cannot state, each with the reason. Only `tempest validate` (and
// every command that loads a spec) reports them. A spec listed here that
// the schema starts rejecting fails the test: take it off the list.
var schemaCannotExpress = map[string]string{
	// Rules across the items of a list or across the document.
	"duplicate-fault-names": "names unique within a list: uniqueItems compares whole items, not one field",
	"duplicate-probe-names": "names unique within a list: uniqueItems compares whole items, not one field",
	"probe-unknown-fault":   "a probe's faults must name faults of the same spec: a schema cannot refer to other values of the document",
	// Rules comparing durations, or computing with them: a schema compares
	// a number with a constant, and a duration is a string to it.
	"hold-over-interval":           "hold <= interval: a comparison of two durations",
	"interval-not-below-duration":  "interval < duration: a comparison of two durations",
	"restart-timeout-over-attempt": "process.restartTimeout < rollback.attemptTimeout (or its default): durations in different parts of the spec",
	"drain-over-rollback-deadline": "nodeDrain.timeout < rollback.deadline (or its default): durations in different parts of the spec",
	"stages-duration-mismatch":     "load.duration equal to the sum of the stages' durations: arithmetic on durations",
	"too-many-injections":          "at most MaxInjections injections: duration / interval, arithmetic on durations",
	"over-max-duration":            "the planned duration (probes, chaos window, reverts) within safety.maxDuration: computed from the whole spec",
	// Syntax the schema's regular expressions cannot check.
	"bad-regex": "bodyMatches must compile as a Go regular expression: JSON Schema's format \"regex\" is ECMA-262 syntax and editors do not assert formats",
}

// TestSchemaRejectsBadSpecs runs every bad spec through a JSON Schema
// validator with the committed schema: each is rejected unless it is
// listed above, and each listed one is accepted, so the lists stay exact.
func TestSchemaRejectsBadSpecs(t *testing.T) {
	schema := compileSchema(t)
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			value, err := specValue(readFile(t, file))
			_, yamlOnly := notJSON[name]
			switch {
			case err != nil && yamlOnly:
				return
			case err != nil:
				t.Fatalf("not a JSON document (%v): list it in notJSON or fix the conversion", err)
			case yamlOnly:
				t.Fatal("converts to JSON: take it off notJSON")
			}
			err = schema.Validate(value)
			reason, listed := schemaCannotExpress[name]
			switch {
			case err == nil && !listed:
				t.Errorf("the schema accepts it: add a rule, or list it in schemaCannotExpress with the reason")
			case err != nil && listed:
				t.Errorf("the schema rejects it now (%q was the reason it could not): take it off schemaCannotExpress\n%v", reason, err)
			}
		})
	}
	for _, list := range []map[string]string{notJSON, schemaCannotExpress} {
		for name := range list {
			if !seen[name] {
				t.Errorf("%s is listed but testdata/bad/%[1]s.yaml does not exist", name)
			}
		}
	}
}

// TestSchemaAcceptsGoodSpecs: every good spec and every experiment among
// the examples passes the schema, as written and as Decode returns it
// (defaults applied, marshaled to JSON).
func TestSchemaAcceptsGoodSpecs(t *testing.T) {
	schema := compileSchema(t)
	files, err := filepath.Glob("testdata/good/*")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, exampleExperiments(t)...)
	if len(files) < 10 {
		t.Fatalf("found only %d good specs", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimPrefix(file, "../"), func(t *testing.T) {
			// Examples may take parameters (${NAME:-default}): judge
			// them with their defaults, as `tempest validate` does.
			data, _, _, err := ResolveParams(readFile(t, file), Params{})
			if err != nil {
				t.Fatal(err)
			}
			value, err := specValue(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(value); err != nil {
				t.Errorf("the schema rejects a good spec:\n%v", err)
			}
			exp, err := Decode(file, data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(exp)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(decoded); err != nil {
				t.Errorf("the schema rejects the decoded spec with its defaults:\n%s\n%v", out, err)
			}
		})
	}
}

// exampleExperiments lists every YAML file under examples/ whose
// document is of kind Experiment.
func exampleExperiments(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../examples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return err
		}
		var doc struct {
			Kind string `yaml:"kind"`
		}
		data := readFile(t, path)
		if yaml.Unmarshal(data, &doc) == nil && doc.Kind == KindExperiment && !usesRegisteredKind(data) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// usesRegisteredKind tells whether an example has a fault of a kind that
// lives in its own package: this test binary cannot register those
// (package kinds imports this one), so kinds/examples_test.go checks
// such examples, with every kind registered.
func usesRegisteredKind(data []byte) bool {
	var doc struct {
		Spec struct {
			Faults []map[string]any `yaml:"faults"`
		} `yaml:"spec"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return false
	}
	known := jsonFields(faultType).byName
	for _, f := range doc.Spec.Faults {
		for key := range f {
			if _, ok := known[key]; !ok {
				return true
			}
		}
	}
	return false
}

// TestSchemaPatternsArePortable: the schema's regular expressions use
// only syntax that Go (RE2, this test's validator) and ECMA-262 (JSON
// Schema's dialect, editors) read alike.
func TestSchemaPatternsArePortable(t *testing.T) {
	var doc any
	if err := json.Unmarshal(readFile(t, committedSchema), &doc); err != nil {
		t.Fatal(err)
	}
	var patterns []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				switch p, isString := e.(string); {
				case k == "pattern" && isString:
					patterns = append(patterns, p)
				case k == "patternProperties":
					for p := range e.(map[string]any) {
						patterns = append(patterns, p)
					}
				}
				walk(e)
			}
		}
	}
	walk(doc)
	if len(patterns) < 20 {
		t.Fatalf("found only %d patterns", len(patterns))
	}
	for _, p := range patterns {
		if _, err := regexp.Compile(p); err != nil {
			t.Errorf("pattern %q: %v", p, err)
		}
		// Flags, named groups, \A \z \Q, POSIX classes and \p are Go's or
		// read differently by ECMA-262 (with or without its u flag).
		for _, construct := range []string{"(?i", "(?s", "(?m", "(?U", "(?P<", `\A`, `\z`, `\Q`, "[[:", `\p{`, `\P{`, `\C`} {
			if strings.Contains(p, construct) {
				t.Errorf("pattern %q uses %s", p, construct)
			}
		}
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(committedSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("read %s: %v", committedSchema, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("experiment.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("experiment.schema.json")
	if err != nil {
		t.Fatalf("compile %s: %v", committedSchema, err)
	}
	return schema
}

// specValue converts a spec written in YAML (or JSON) into the JSON value
// an editor checks against the schema, read the way Decode reads it: one
// document, string keys written once, no merge keys, aliases expanded, and
// a null value or an empty list left out as unset. The result is in the
// form the validator takes (json.Number for numbers).
func specValue(data []byte) (any, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	value, err := nodeValue(root)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

func nodeValue(n *yaml.Node) (any, error) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		out := map[string]any{}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			for key.Kind == yaml.AliasNode && key.Alias != nil {
				key = key.Alias
			}
			if key.Kind != yaml.ScalarNode || key.ShortTag() == "!!merge" {
				return nil, fmt.Errorf("line %d: keys must be strings, without merges", key.Line)
			}
			if seen[key.Value] {
				return nil, fmt.Errorf("line %d: duplicate key %q", key.Line, key.Value)
			}
			seen[key.Value] = true
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if v != nil {
				out[key.Value] = v
			}
		}
		return out, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		out := make([]any, len(n.Content))
		for i, elem := range n.Content {
			v, err := nodeValue(elem)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			err := n.Decode(&b)
			return b, err
		case "!!int":
			var i int64
			err := n.Decode(&i)
			return i, err
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("line %d: %q is not a finite number", n.Line, n.Value)
			}
			return f, nil
		default:
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}
