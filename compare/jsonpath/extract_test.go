package jsonpath_test

import (
	"strings"
	"testing"

	"github.com/tempest-chaos/tempest/compare/jsonpath"
)

const doc = `{"status":"ok","count":7,"ratio":0.25,"big":12345678901234567890,
 "items":[{"id":"a","n":1},{"id":"b","n":2}],"flag":true,"none":null,"with.dot":{"x":1}}`

func TestExtract(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{"$.status", "ok"},
		{"status", "ok"},
		{"$.count", "7"},
		{"ratio", "0.25"},
		{"big", "12345678901234567890"},
		{"$.items[0].id", "a"},
		{"items[1].n", "2"},
		{"items[-1].id", "b"},
		{"$.flag", "true"},
		{"none", "null"},
		{"$['with.dot'].x", "1"},
		{`$["with.dot"]`, `{"x":1}`},
		{"items[0]", `{"id":"a","n":1}`},
		{"$.items[1]", `{"id":"b","n":2}`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := jsonpath.Extract([]byte(doc), tc.path)
			if err != nil {
				t.Fatalf("Extract(%q): %v", tc.path, err)
			}
			if got != tc.want {
				t.Fatalf("Extract(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestExtractErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name, data, path, wantErr string
	}{
		{"missing member", doc, "$.items[0].missing", `$.items[0] has no member "missing"`},
		{"index out of range", doc, "items[5]", "$.items has 2 elements, no index 5"},
		{"index into object", doc, "status[0]", "$.status is a string"},
		{"member of array", doc, "items.id", "$.items is an array"},
		{"not json", "oops", "a", "not JSON"},
		{"bad syntax", doc, "a[x]", "neither an index nor a quoted name"},
		{"unclosed", doc, "a[0", "unclosed ["},
		{"empty name", doc, "a..b", "empty member name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jsonpath.Extract([]byte(tc.data), tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Extract(%q) error = %v, want it to contain %q", tc.path, err, tc.wantErr)
			}
		})
	}
}
