package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// generate returns the spec reference in Markdown. srcDir is package
// experiment's directory, whose doc comments describe the fields (those
// of the registered fault kinds are read from their packages' directories,
// found relative to it); schemaFile is the JSON Schema, whose rules say
// what values are allowed.
func generate(srcDir, schemaFile string) ([]byte, error) {
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		return nil, fmt.Errorf("read the schema: %w", err)
	}
	var schema struct {
		Defs map[string]node `json:"$defs"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		return nil, fmt.Errorf("parse %s: %w", schemaFile, err)
	}
	g := &gen{docs: map[string]*comments{}, defs: schema.Defs, paths: map[reflect.Type][]string{},
		defaults: defaults(), enums: maps.Clone(experiment.EnumValues())}
	g.walk(reflect.TypeFor[experiment.Experiment](), "", map[reflect.Type]bool{})
	g.kindEnums()
	sections := map[string]reflect.Type{}
	for _, t := range g.order {
		name := sectionName(t)
		if other, clash := sections[name]; clash {
			return nil, fmt.Errorf("types %s and %s would both have the section %s", other, t, name)
		}
		sections[name] = t
		def := g.defs[name]
		if def == nil {
			return nil, fmt.Errorf("type %s has no definition %s in %s: run `go run ./cmd/schemagen` first", t, name, schemaFile)
		}
		for _, f := range specFields(t) {
			if asNode(def["properties"])[f.json] == nil {
				return nil, fmt.Errorf("%s.%s has no property in %s: run `go run ./cmd/schemagen` first", name, f.json, schemaFile)
			}
		}
	}
	// The doc comments of every package that declares a documented type
	// or enum.
	pkgs := map[string]bool{experimentPackage: true}
	for _, t := range g.order {
		pkgs[t.PkgPath()] = true
	}
	for t := range g.enums {
		if inModule(t.PkgPath()) {
			pkgs[t.PkgPath()] = true
		}
	}
	for _, pkg := range slices.Sorted(maps.Keys(pkgs)) {
		if g.docs[pkg], err = readComments(packageDir(srcDir, pkg)); err != nil {
			return nil, err
		}
	}
	for _, t := range g.order {
		if _, ok := g.comments(t).fields[t.Name()]; !ok {
			return nil, fmt.Errorf("type %s not found in the source in %s", t, packageDir(srcDir, t.PkgPath()))
		}
	}
	g.header()
	for _, t := range g.order {
		g.section(t)
	}
	return g.out.Bytes(), nil
}

// gen writes the reference.
type gen struct {
	// docs holds the doc comments of each package, by import path.
	docs map[string]*comments
	defs map[string]node
	// defaults holds the defaults by section name and JSON field name.
	defaults map[string]map[string]string
	enums    map[reflect.Type][]string
	// order lists the struct types of a document, depth first in field
	// order; paths holds where each one appears.
	order []reflect.Type
	paths map[reflect.Type][]string
	out   bytes.Buffer
}

// walk visits the struct types below t; path is where t appears.
func (g *gen) walk(t reflect.Type, path string, visiting map[reflect.Type]bool) {
	t = structOf(t)
	if t == nil || visiting[t] {
		return
	}
	if _, seen := g.paths[t]; !seen {
		g.order = append(g.order, t)
	}
	g.paths[t] = append(g.paths[t], path)
	visiting[t] = true
	defer delete(visiting, t)
	for _, f := range specFields(t) {
		p := f.json
		if path != "" {
			p = path + "." + f.json
		}
		for k := f.Type.Kind(); k == reflect.Pointer || k == reflect.Slice || k == reflect.Map; k = f.Type.Kind() {
			if k == reflect.Slice {
				p += "[]"
			}
			if k == reflect.Map {
				p += ".*"
			}
			f.Type = f.Type.Elem()
		}
		g.walk(f.Type, p, visiting)
	}
}

// field is one field of a spec struct with its JSON name.
type field struct {
	reflect.StructField
	json string
}

// fields lists the JSON fields of t in declaration order.
func fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{f, name})
	}
	return out
}

// structOf is the spec struct type (of package experiment or of a
// registered kind's package) that t holds, or nil.
func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || !inModule(t.PkgPath()) {
		return nil
	}
	return t
}

// comments are the doc comments of t's package.
func (g *gen) comments(t reflect.Type) *comments {
	if c := g.docs[t.PkgPath()]; c != nil {
		return c
	}
	return &comments{}
}

// typeDoc is t's doc comment, naming t by its section where the comment
// starts with its Go name ("Spec is one network fault" in section
// NetworkSpec reads "NetworkSpec is one network fault").
func (g *gen) typeDoc(t reflect.Type) string {
	doc := g.comments(t).types[t.Name()]
	if name := sectionName(t); name != t.Name() {
		if rest, ok := strings.CutPrefix(doc, t.Name()+" "); ok {
			doc = name + " " + rest
		}
	}
	return doc
}

func (g *gen) printf(format string, args ...any) { fmt.Fprintf(&g.out, format, args...) }

func (g *gen) header() {
	g.printf("# Experiment spec reference\n\n")
	g.printf("<!-- Generated by `go run ./cmd/specdoc` from package experiment and the fault kinds' packages (types,\n")
	g.printf("     doc comments, defaults) and schema/experiment.schema.json (value rules). Do not edit by hand. -->\n\n")
	g.printf("An experiment is a YAML or JSON document (`kind: Experiment`). This page lists every type it holds,\n")
	g.printf("each field with its type, whether it is required or its default, the values it accepts and its\n")
	g.printf("description. It is generated from the Go types of package `experiment`, their doc comments,\n")
	g.printf("`experiment.ApplyDefaults` and the JSON Schema (`schema/experiment.schema.json`, itself generated\n")
	g.printf("from the same types and the rules of `experiment/schema_rules.go`). The rules here are those\n")
	g.printf("`tempest validate` checks on one value or one object; what spans several values (unique fault and\n")
	g.printf("probe names, a probe's `faults` naming faults of the spec, durations compared or added up, the plan\n")
	g.printf("within `safety.maxDuration`) only `tempest validate` checks: see [Experiments](../README.md#experiments).\n\n")
	if kinds := registeredKinds(); len(kinds) > 0 {
		g.printf("The fault kinds that live in their own packages (%s, listed in package `kinds`) are\n", strings.Join(kinds, ", "))
		g.printf("documented the same way, from their block types, doc comments and `ApplyDefaults`; the sections of\n")
		g.printf("their types are named as the schema names their definitions, after their package (`%s`).\n\n", kindExample())
	}
	g.printf("## Value types\n\n")
	g.printf("- **duration**: a string with its unit, as Go's `time.ParseDuration` reads it: `\"15s\"`, `\"1m30s\"`,\n")
	g.printf("  `\"500ms\"` (units `ns`, `us`, `ms`, `s`, `m`, `h`). A bare number is refused.\n")
	g.printf("- **secret**: a literal value, or a reference resolved on the worker and never written to the\n")
	g.printf("  workflow's history: `env:NAME`, `file:/path` or `k8s:namespace/name/key`.\n")
	g.printf("- **scalar**: a string, number or boolean, kept as its text and compared as the comparison's `type`.\n")
	g.printf("- **enum**: the values listed; an optional one may also be written empty (`\"\"`), which means unset:\n")
	g.printf("  the default applies.\n")
	g.printf("- `${NAME}` and `${NAME:-default}` anywhere in the document take their value from `--set` or the\n")
	g.printf("  environment before it is decoded (see [Parameters](../README.md#experiments)).\n\n")
	g.printf("## Types\n\n")
	for _, t := range g.order {
		g.printf("- [%s](#%s) at %s\n", sectionName(t), anchor(sectionName(t)), g.where(t, 1))
	}
	g.printf("\n")
}

// where lists the paths of t in the document, at most limit of them
// (0: all).
func (g *gen) where(t reflect.Type, limit int) string {
	var out []string
	for _, p := range g.paths[t] {
		if p == "" {
			p = "(the document)"
		}
		out = append(out, code(p))
	}
	if limit > 0 && len(out) > limit {
		return strings.Join(out[:limit], ", ") + fmt.Sprintf(" (and %d more)", len(out)-limit)
	}
	return strings.Join(out, ", ")
}

func (g *gen) section(t reflect.Type) {
	name := sectionName(t)
	def := g.defs[name]
	g.printf("## %s\n\n", name)
	if doc := g.typeDoc(t); doc != "" {
		g.printf("%s\n\n", paragraphs(doc))
	}
	g.printf("At %s.\n\n", g.where(t, 0))
	g.printf("| Field | Type | Required / default | Values | Description |\n")
	g.printf("| --- | --- | --- | --- | --- |\n")
	required := strings0(def["required"])
	props := asNode(def["properties"])
	var enumNotes []string
	for _, f := range specFields(t) {
		need := "optional"
		if slices.Contains(required, f.json) {
			need = "**required**"
		} else if d, ok := g.defaults[name][f.json]; ok {
			need = "default " + code(d)
		}
		desc := g.comments(t).fields[t.Name()][f.Name]
		if desc == "" {
			// A kind block: its type says what it is.
			if st := structOf(f.Type); st != nil {
				desc = firstSentence(g.typeDoc(st))
			}
		}
		g.printf("| %s | %s | %s | %s | %s |\n", cell(code(f.json)), cell(g.typeName(f.Type)), cell(need),
			cell(valueWords(asNode(props[f.json]))), cell(prose(fieldDoc(desc, f.Name, f.json))))
		if note := g.enumNote(f); note != "" {
			enumNotes = append(enumNotes, note)
		}
	}
	g.printf("\n")
	if rules := objectRules(def); len(rules) > 0 {
		g.printf("Rules over several fields:\n\n")
		for _, r := range rules {
			g.printf("- %s\n", r)
		}
		g.printf("\n")
	}
	for _, n := range enumNotes {
		g.printf("%s\n", n)
	}
}

// objectRules puts in words the rules of a type over several of its
// fields (its allOf and oneOf), one line each.
func objectRules(def node) []string {
	var rules []string
	if alts, ok := def["allOf"].([]any); ok {
		for _, a := range alts {
			if w := objectWords(asNode(a), ""); w != "" {
				rules = append(rules, upperFirst(w)+".")
			}
		}
	}
	if alts, ok := def["oneOf"].([]any); ok {
		rules = append(rules, upperFirst(choiceWords(alts, "", "exactly one of"))+".")
	}
	return rules
}

// enumNote lists the documented values of an enum field.
func (g *gen) enumNote(f field) string {
	t := f.Type
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if g.enums[t] == nil {
		return ""
	}
	values := g.comments(t).values[t.Name()]
	var lines []string
	for _, v := range values {
		if v.doc == "" {
			continue
		}
		lines = append(lines, fmt.Sprintf("- %s: %s", code(v.value), prose(fieldDoc(v.doc, v.name, ""))))
	}
	if len(lines) == 0 {
		return ""
	}
	return fmt.Sprintf("Values of %s:\n\n%s\n", code(f.json), strings.Join(lines, "\n"))
}

// typeName is how the reference names a field's type.
func (g *gen) typeName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[experiment.Duration]():
		return "[duration](#value-types)"
	case reflect.TypeFor[experiment.SecretRef]():
		return "[secret](#value-types)"
	case reflect.TypeFor[experiment.Scalar]():
		return "[scalar](#value-types)"
	}
	if g.enums[t] != nil {
		return "[enum](#value-types)"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typeName(t.Elem())
	case reflect.Slice:
		return "list of " + g.typeName(t.Elem())
	case reflect.Map:
		return "map of " + g.typeName(t.Key()) + " to " + g.typeName(t.Elem())
	case reflect.Struct:
		return fmt.Sprintf("[%s](#%s)", sectionName(t), anchor(sectionName(t)))
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.String()
}

// defaults returns, by section name and JSON field name, the value
// experiment.ApplyDefaults gives each field left unset: it applies them
// to an experiment that has every block and one element of every list
// of blocks, and reads back what changed; then the same for the block of
// every registered fault kind, with the block's own ApplyDefaults.
func defaults() map[string]map[string]string {
	e := filled(reflect.TypeFor[experiment.Experiment]()).Interface().(*experiment.Experiment)
	experiment.ApplyDefaults(e)
	out := map[string]map[string]string{}
	collectDefaults(reflect.ValueOf(e).Elem(), out)
	blockDefaults(out)
	// A comparison's type is inferred from the value written, not a fixed
	// default (its doc comment says how).
	delete(out["Comparison"], "type")
	return out
}

// filled returns a pointer to a new value of struct type t whose
// pointers to structs are set and whose lists of structs hold one
// element, recursively.
func filled(t reflect.Type) reflect.Value {
	v := reflect.New(t)
	for i := range t.NumField() {
		f := v.Elem().Field(i)
		if !f.CanSet() {
			continue
		}
		switch ft := f.Type(); {
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			f.Set(filled(ft.Elem()))
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			s := reflect.MakeSlice(ft, 1, 1)
			s.Index(0).Set(filled(ft.Elem()).Elem())
			f.Set(s)
		case ft.Kind() == reflect.Struct && structOf(ft) != nil:
			f.Set(filled(ft).Elem())
		}
	}
	return v
}

// collectDefaults records every non-zero value below v that is not a
// struct: filled sets none, so ApplyDefaults set them.
func collectDefaults(v reflect.Value, out map[string]map[string]string) {
	t := v.Type()
	for _, f := range fields(t) {
		fv := v.FieldByIndex(f.Index)
		switch {
		case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct:
			if !fv.IsNil() {
				collectDefaults(fv.Elem(), out)
			}
			continue
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			for i := range fv.Len() {
				collectDefaults(fv.Index(i), out)
			}
			continue
		case fv.Kind() == reflect.Struct && structOf(fv.Type()) != nil:
			collectDefaults(fv, out)
			continue
		}
		if fv.IsZero() {
			continue
		}
		name := sectionName(t)
		if out[name] == nil {
			out[name] = map[string]string{}
		}
		if _, ok := out[name][f.json]; !ok {
			out[name][f.json] = valueText(fv)
		}
	}
}

// valueText writes a default as it would be written in a spec.
func valueText(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if d, ok := v.Interface().(experiment.Duration); ok {
		return shortDuration(time.Duration(d))
	}
	if v.Kind() == reflect.Slice {
		var items []string
		for i := range v.Len() {
			items = append(items, valueText(v.Index(i)))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

// shortDuration drops the zero units time.Duration.String writes: "1h",
// "2m", not "1h0m0s", "2m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fieldDoc turns a doc comment into one line that starts with the JSON
// name where the comment starts with the Go name ("Hold is how long" ->
// "`hold` is how long", "Jitter, for latency" -> "`jitter`, for
// latency"); an enum value's comment loses its constant's name
// ("SelectOne hits one" -> "hits one").
func fieldDoc(doc, goName, jsonName string) string {
	doc = strings.Join(strings.Fields(doc), " ")
	rest, ok := strings.CutPrefix(doc, goName+" ")
	if !ok {
		rest, ok = strings.CutPrefix(doc, goName+": ")
	}
	if !ok && jsonName != "" {
		if rest, ok = strings.CutPrefix(doc, goName+", "); ok {
			return "`" + jsonName + "`, " + rest
		}
	}
	if !ok {
		return doc
	}
	if jsonName == "" {
		return rest
	}
	return "`" + jsonName + "` " + rest
}

// paragraphs turns a type's doc comment into Markdown paragraphs.
func paragraphs(doc string) string {
	var out []string
	for p := range strings.SplitSeq(strings.TrimSpace(doc), "\n\n") {
		out = append(out, prose(strings.Join(strings.Fields(p), " ")))
	}
	return strings.Join(out, "\n\n")
}

func firstSentence(doc string) string {
	doc = strings.Join(strings.Fields(doc), " ")
	if i := strings.Index(doc, ". "); i >= 0 {
		return doc[:i+1]
	}
	return doc
}

// prose escapes Markdown outside the doc comment's `code` spans.
func prose(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 {
		return text(s) // an unpaired backtick: no code spans
	}
	for i := 0; i < len(parts); i += 2 {
		parts[i] = text(parts[i])
	}
	return strings.Join(parts, "`")
}

// text escapes what Markdown would read as markup or HTML.
func text(s string) string {
	return strings.NewReplacer(`\`, `\\`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`").Replace(s)
}

// code writes s as a code span.
func code(s string) string {
	if !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return "`` " + s + " ``"
}

// cell makes s fit in a table cell: one line, pipes escaped (GitHub reads
// `\|` as a pipe inside code spans of a table too).
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// anchor is GitHub's anchor of a heading made of one word.
func anchor(heading string) string { return strings.ToLower(heading) }

func upperFirst(s string) string {
	if s == "" || s[0] == '`' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
