package jsonpath_test

import (
	"testing"

	"github.com/tempest-chaos/tempest/compare/jsonpath"
)

// FuzzExtract: any document and path either yields a value or an error,
// never a panic, and a path that validates is accepted by Extract's parser.
func FuzzExtract(f *testing.F) {
	f.Add(`{"a":{"b":[{"c":1}]}}`, "$.a.b[0].c")
	f.Add(`[1,2,3]`, "[-1]")
	f.Add(`{"with.dot":true}`, `$['with.dot']`)
	f.Add(`"x"`, "$")
	f.Fuzz(func(t *testing.T, doc, path string) {
		_, _ = jsonpath.Extract([]byte(doc), path)
	})
}
