package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/tempest-chaos/tempest/experiment"
	_ "github.com/tempest-chaos/tempest/kinds" // the registered fault kinds' blocks
)

// experimentPackage is the import path of package experiment.
const experimentPackage = "github.com/tempest-chaos/tempest/experiment"

// schemaID names the schema.
const schemaID = "https://tempest.dev/schema/experiment.schema.json"

// generate returns the JSON Schema of experiment.Experiment, indented and
// ending in a newline. srcDir is package experiment's directory (relative
// paths only), whose doc comments become descriptions.
func generate(srcDir string) ([]byte, error) {
	r := &jsonschema.Reflector{Mapper: mapType}
	base, err := commentBase(srcDir)
	if err != nil {
		return nil, err
	}
	if err := r.AddGoComments(base, srcDir); err != nil {
		return nil, fmt.Errorf("read doc comments in %s: %w", srcDir, err)
	}
	r.Namer = kindTypeName
	s := r.Reflect(&experiment.Experiment{})
	if err := addFaultBlocks(r, s, srcDir, base); err != nil {
		return nil, err
	}
	s.ID = schemaID
	s.Title = "Tempest experiment"
	if err := addRules(s.Definitions); err != nil {
		return nil, err
	}
	requireOneBlock(s.Definitions["Fault"], experiment.FaultKinds())
	requireOneBlock(s.Definitions["Probe"], experiment.ProbeKinds())
	allowEmptyEnums(s.Definitions, reflect.TypeFor[experiment.Experiment](), map[reflect.Type]bool{})
	kind := s.Definitions["Experiment"].Properties
	if p, ok := kind.Get("kind"); ok {
		p.Enum = []any{experiment.KindExperiment}
	}
	if p, ok := kind.Get("apiVersion"); ok {
		p.Enum = []any{experiment.APIVersion}
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	return append(data, '\n'), nil
}

// kindTypeName names the definitions of types outside package experiment
// (the blocks of registered kinds) after their package, so that two
// kinds' Spec types do not clash: network.Spec is "NetworkSpec".
func kindTypeName(t reflect.Type) string {
	if t.PkgPath() == "" || t.PkgPath() == experimentPackage {
		return t.Name()
	}
	pkg := path.Base(t.PkgPath())
	return strings.ToUpper(pkg[:1]) + pkg[1:] + t.Name()
}

// addFaultBlocks adds the block of every registered fault kind to the
// Fault definition, with the definitions of its types and their doc
// comments (read from the kind's package directory, relative to the
// module root that srcDir's base implies).
func addFaultBlocks(r *jsonschema.Reflector, s *jsonschema.Schema, srcDir, base string) error {
	root := filepath.Dir(filepath.Clean(srcDir))
	module := strings.TrimSuffix(experimentPackage, "/experiment")
	fault := s.Definitions["Fault"]
	for _, kind := range experiment.FaultKinds() {
		bt, ok := experiment.FaultBlockType(kind)
		if !ok {
			continue
		}
		if rel, ok := strings.CutPrefix(bt.PkgPath(), module+"/"); ok && base == module {
			if err := r.AddGoComments(base, filepath.ToSlash(filepath.Join(root, rel))); err != nil {
				return fmt.Errorf("read doc comments of %s: %w", bt.PkgPath(), err)
			}
		}
		bs := r.ReflectFromType(bt)
		for name, def := range bs.Definitions {
			if _, dup := s.Definitions[name]; !dup {
				s.Definitions[name] = def
			}
		}
		fault.Properties.Set(string(kind), &jsonschema.Schema{Ref: "#/$defs/" + kindTypeName(bt)})
	}
	return nil
}

// commentBase is the import path that, joined with srcDir the way
// AddGoComments joins them, yields package experiment's import path.
func commentBase(srcDir string) (string, error) {
	dir := filepath.ToSlash(filepath.Clean(srcDir))
	if filepath.IsAbs(srcDir) || strings.HasPrefix(dir, "..") {
		return "", fmt.Errorf("source directory %q must be relative and below the working directory", srcDir)
	}
	if dir == "." {
		return experimentPackage, nil
	}
	base, ok := strings.CutSuffix(experimentPackage, "/"+dir)
	if !ok || path.Join(base, dir) != experimentPackage {
		return "", fmt.Errorf("source directory %q is not package experiment's directory (%s)", srcDir, experimentPackage)
	}
	return base, nil
}

// mapType gives durations, scalars and typed strings their schemas.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[experiment.Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: experiment.DurationPattern,
			Description: `A duration with its unit, such as "15s", "1m30s" or "500ms".`}
	case reflect.TypeFor[experiment.Scalar]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}}}
	case reflect.TypeFor[experiment.SecretRef]():
		return &jsonschema.Schema{Type: "string",
			Description: `A literal value, or a secret reference: "env:NAME", "file:/path" or "k8s:namespace/name/key".`}
	}
	if values, ok := experiment.EnumValues()[t]; ok {
		enum := make([]any, len(values))
		for i, v := range values {
			enum[i] = v
		}
		return &jsonschema.Schema{Type: "string", Enum: enum}
	}
	return nil
}

// requireOneBlock says that exactly one of the kind blocks is set.
func requireOneBlock[K ~string](def *jsonschema.Schema, kinds []K) {
	if def == nil {
		return
	}
	for _, k := range kinds {
		def.OneOf = append(def.OneOf, &jsonschema.Schema{Required: []string{string(k)}})
	}
}

// addRules adds the value rules of package experiment to the definitions
// of the spec types: a field's rule is merged into the field's schema, the
// rules over several fields go into the type's allOf. Types and fields are
// visited in sorted order, so the output is stable.
func addRules(defs jsonschema.Definitions) error {
	rules := experiment.SchemaRules()
	types := make([]reflect.Type, 0, len(rules))
	for t := range rules {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b reflect.Type) int { return strings.Compare(a.Name(), b.Name()) })
	for _, t := range types {
		def := defs[t.Name()]
		if def == nil {
			return fmt.Errorf("rules for %s, which has no definition", t.Name())
		}
		tr := rules[t]
		for _, name := range slices.Sorted(maps.Keys(tr.Fields)) {
			prop, ok := def.Properties.Get(name)
			if !ok {
				return fmt.Errorf("rule for %s.%s, which is not a property", t.Name(), name)
			}
			rule, err := toSchema(tr.Fields[name])
			if err != nil {
				return err
			}
			merge(prop, rule)
		}
		for _, r := range tr.Object {
			rule, err := toSchema(r)
			if err != nil {
				return err
			}
			def.AllOf = append(def.AllOf, rule)
		}
	}
	return nil
}

// toSchema turns a rule into a schema; the rule's JSON is JSON Schema.
func toSchema(r *experiment.Rule) (*jsonschema.Schema, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("marshal rule: %w", err)
	}
	s := &jsonschema.Schema{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("rule %s: %w", data, err)
	}
	addMessages(r, s)
	return s, nil
}

// addMessages carries the rule's error messages, which jsonschema.Schema
// has no field for, into the schema's extra keywords.
func addMessages(r *experiment.Rule, s *jsonschema.Schema) {
	if r == nil || s == nil {
		return
	}
	if r.ErrorMessage != "" {
		s.Extras = map[string]any{"errorMessage": r.ErrorMessage}
	}
	for _, pair := range []struct {
		rules   []*experiment.Rule
		schemas []*jsonschema.Schema
	}{{r.AllOf, s.AllOf}, {r.AnyOf, s.AnyOf}, {r.OneOf, s.OneOf}, {r.PrefixItems, s.PrefixItems}} {
		for i := range min(len(pair.rules), len(pair.schemas)) {
			addMessages(pair.rules[i], pair.schemas[i])
		}
	}
	addMessages(r.Not, s.Not)
	addMessages(r.If, s.If)
	addMessages(r.Then, s.Then)
	addMessages(r.Else, s.Else)
	addMessages(r.Items, s.Items)
	addMessages(r.PropertyNames, s.PropertyNames)
	for name, sub := range r.Properties {
		if p, ok := s.Properties.Get(name); ok {
			addMessages(sub, p)
		}
	}
	for pattern, sub := range r.PatternProperties {
		addMessages(sub, s.PatternProperties[pattern])
	}
}

// merge adds the keywords of src to dst: a subschema is merged, a list
// appended, properties merged by name, and any other keyword of src
// replaces dst's (the rule's pattern is narrower than the type's).
func merge(dst, src *jsonschema.Schema) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range s.NumField() {
		if !s.Type().Field(i).IsExported() || s.Field(i).IsZero() {
			continue
		}
		df, sf := d.Field(i), s.Field(i)
		switch {
		case df.IsZero():
			df.Set(sf)
		case sf.Type() == reflect.TypeFor[*jsonschema.Schema]():
			merge(df.Interface().(*jsonschema.Schema), sf.Interface().(*jsonschema.Schema))
		case s.Type().Field(i).Name == "Properties":
			for p := src.Properties.Oldest(); p != nil; p = p.Next() {
				if old, ok := dst.Properties.Get(p.Key); ok {
					merge(old, p.Value)
				} else {
					dst.Properties.Set(p.Key, p.Value)
				}
			}
		case sf.Kind() == reflect.Slice:
			df.Set(reflect.AppendSlice(df, sf))
		case sf.Kind() == reflect.Map:
			for _, k := range sf.MapKeys() {
				df.SetMapIndex(k, sf.MapIndex(k))
			}
		default:
			df.Set(sf)
		}
	}
}

// allowEmptyEnums adds "" to the values of every optional (omitempty)
// enum field of t and the types below it: Decode reads an empty value as
// unset, and the default applies.
func allowEmptyEnums(defs jsonschema.Definitions, t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	enums := experiment.EnumValues()
	for i := range t.NumField() {
		f := t.Field(i)
		allowEmptyEnums(defs, f.Type, seen)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if enums[f.Type] == nil || !slices.Contains(strings.Split(opts, ","), "omitempty") || defs[t.Name()] == nil {
			continue
		}
		if p, ok := defs[t.Name()].Properties.Get(name); ok {
			p.Enum = append(p.Enum, "")
		}
	}
}
