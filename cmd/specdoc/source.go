package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// comments are the doc comments of package experiment, read from its
// source.
type comments struct {
	// types maps a type name to its doc comment.
	types map[string]string
	// fields maps a struct type name and a Go field name to the field's
	// doc comment.
	fields map[string]map[string]string
	// values maps a typed string's name to its constants, in source order.
	values map[string][]enumValue
}

// enumValue is one constant of a typed string.
type enumValue struct {
	name, value, doc string
}

// readComments parses the non-test Go files of dir.
func readComments(dir string) (*comments, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	c := &comments{types: map[string]string{}, fields: map[string]map[string]string{}, values: map[string][]enumValue{}}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok {
				c.addDecl(gd)
			}
		}
	}
	if len(c.types) == 0 {
		return nil, fmt.Errorf("no types found in %s", dir)
	}
	return c, nil
}

func (c *comments) addDecl(gd *ast.GenDecl) {
	for _, spec := range gd.Specs {
		switch s := spec.(type) {
		case *ast.TypeSpec:
			doc := s.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			c.types[s.Name.Name] = doc.Text()
			st, ok := s.Type.(*ast.StructType)
			if !ok {
				continue
			}
			fields := map[string]string{}
			for _, f := range st.Fields.List {
				text := f.Doc.Text()
				if text == "" {
					text = f.Comment.Text()
				}
				for _, n := range f.Names {
					fields[n.Name] = text
				}
			}
			c.fields[s.Name.Name] = fields
		case *ast.ValueSpec:
			if gd.Tok != token.CONST || s.Type == nil || len(s.Names) != 1 || len(s.Values) != 1 {
				continue
			}
			typ, ok := s.Type.(*ast.Ident)
			lit, isLit := s.Values[0].(*ast.BasicLit)
			if !ok || !isLit || lit.Kind != token.STRING {
				continue
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				continue
			}
			doc := s.Doc.Text()
			if doc == "" {
				doc = s.Comment.Text()
			}
			c.values[typ.Name] = append(c.values[typ.Name], enumValue{name: s.Names[0].Name, value: v, doc: doc})
		}
	}
}
