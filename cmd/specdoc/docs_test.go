package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The hand-written pages of docs/ name things the code defines; these
// tests fail when the code gains one the pages do not mention.

// TestTroubleshootingNamesEveryErrorType: every error type of package
// errkind has its row in docs/troubleshooting.md.
func TestTroubleshootingNamesEveryErrorType(t *testing.T) {
	t.Chdir("../..")
	types := stringConsts(t, "errkind/errkind.go")
	if len(types) < 8 {
		t.Fatalf("found %d error types in errkind, want at least 8: %v", len(types), types)
	}
	page := readPage(t, "docs/troubleshooting.md")
	for _, typ := range types {
		if !strings.Contains(page, "| `"+typ+"` |") {
			t.Errorf("docs/troubleshooting.md has no row for the error type %s (errkind)", typ)
		}
	}
}

// TestRunningNamesEverySearchAttribute: every search attribute the
// workflows set is in docs/running.md's table.
func TestRunningNamesEverySearchAttribute(t *testing.T) {
	t.Chdir("../..")
	f, err := parser.ParseFile(token.NewFileSet(), "workflows/names.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !strings.HasPrefix(sel.Sel.Name, "NewSearchAttributeKey") {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				names = append(names, s)
			}
		}
		return true
	})
	if len(names) < 3 {
		t.Fatalf("found search attributes %v in workflows/names.go, want at least 3", names)
	}
	page := readPage(t, "docs/running.md")
	for _, name := range names {
		if !strings.Contains(page, "| `"+name+"` |") {
			t.Errorf("docs/running.md's search attribute table has no row for %s", name)
		}
	}
}

// stringConsts returns the string constants declared in file.
func stringConsts(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

func readPage(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
