package main

import (
	"path"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
	_ "github.com/tempest-chaos/tempest/kinds" // the registered fault kinds' blocks
)

// The fault kinds that live in their own packages (registered by package
// kinds) are documented like the built-in ones: their block is a field of
// Fault named by its kind, and the types of the block get sections named
// as the JSON Schema names their definitions.

// experimentPackage is the import path of package experiment; module is
// the module's, below which the kinds' packages are.
var (
	experimentPackage = reflect.TypeFor[experiment.Experiment]().PkgPath()
	module            = strings.TrimSuffix(experimentPackage, "/experiment")
)

// sectionName is the name of t's section and of its definition in the
// JSON Schema, as cmd/schemagen names it (kindTypeName): a type of
// package experiment by its own name, any other (a registered kind's) by
// its package's name and its own, so that network.Spec is NetworkSpec
// and stress.Spec is StressSpec.
func sectionName(t reflect.Type) string {
	if t.PkgPath() == "" || t.PkgPath() == experimentPackage {
		return t.Name()
	}
	pkg := path.Base(t.PkgPath())
	return strings.ToUpper(pkg[:1]) + pkg[1:] + t.Name()
}

// inModule reports whether a package is one of the module's, whose
// struct types in a spec are spec types (package experiment's, or a
// registered kind's).
func inModule(pkgPath string) bool {
	return pkgPath == experimentPackage || strings.HasPrefix(pkgPath, module+"/")
}

// packageDir is the source directory of a package of the module, given
// srcDir, package experiment's directory (the kinds' packages are found
// relative to the module root it implies, as cmd/schemagen finds them).
func packageDir(srcDir, pkgPath string) string {
	if pkgPath == experimentPackage {
		return srcDir
	}
	root := filepath.Dir(filepath.Clean(srcDir))
	return filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(pkgPath, module+"/")))
}

// specFields lists the JSON fields of t as a spec holds them: for Fault,
// its Go fields and then the block of every registered fault kind, under
// the kind's key, in registration order (as the schema lists them).
func specFields(t reflect.Type) []field {
	fs := fields(t)
	if t != reflect.TypeFor[experiment.Fault]() {
		return fs
	}
	for _, kind := range experiment.FaultKinds() {
		bt, ok := experiment.FaultBlockType(kind)
		if !ok {
			continue // a built-in kind: a Go field of Fault
		}
		fs = append(fs, field{reflect.StructField{Name: string(kind), Type: reflect.PointerTo(bt)}, string(kind)})
	}
	return fs
}

// blockDefaults adds to out the defaults of every registered kind's
// block: those its ApplyDefaults (experiment.BlockDefaulter) gives a
// block that has every sub-block and one element of every list of them.
func blockDefaults(out map[string]map[string]string) {
	for _, kind := range experiment.FaultKinds() {
		bt, ok := experiment.FaultBlockType(kind)
		if !ok {
			continue
		}
		v := filled(bt)
		d, ok := v.Interface().(experiment.BlockDefaulter)
		if !ok {
			continue
		}
		d.ApplyDefaults()
		collectDefaults(v.Elem(), out)
	}
}

// kindEnums adds to g.enums the typed strings of the kinds' packages
// whose fields the schema gives an enum (the schema's values, without
// the empty one). Those the schema leaves a plain string stay strings,
// without a note of their values.
func (g *gen) kindEnums() {
	for _, t := range g.order {
		if t.PkgPath() == experimentPackage {
			continue
		}
		props := asNode(g.defs[sectionName(t)]["properties"])
		for _, f := range fields(t) {
			et := f.Type
			prop := asNode(props[f.json])
			for et.Kind() == reflect.Pointer || et.Kind() == reflect.Slice {
				if et.Kind() == reflect.Slice {
					prop = asNode(prop["items"])
				}
				et = et.Elem()
			}
			if et.Kind() != reflect.String || et.PkgPath() == "" || g.enums[et] != nil {
				continue
			}
			values, ok := prop["enum"].([]any)
			if !ok {
				continue
			}
			var list []string
			for _, v := range values {
				if s, ok := v.(string); ok && s != "" {
					list = append(list, s)
				}
			}
			g.enums[et] = list
		}
	}
}

// registeredKinds are the keys of the registered fault kinds, as code
// spans.
func registeredKinds() []string {
	var out []string
	for _, kind := range experiment.FaultKinds() {
		if _, ok := experiment.FaultBlockType(kind); ok {
			out = append(out, code(string(kind)))
		}
	}
	return out
}

// kindExample is the section name of the first registered kind's block.
func kindExample() string {
	for _, kind := range experiment.FaultKinds() {
		if bt, ok := experiment.FaultBlockType(kind); ok {
			return sectionName(bt)
		}
	}
	return ""
}
