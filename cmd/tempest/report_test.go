package main

import (
	"strings"
	"testing"
)

func TestReportFormat(t *testing.T) {
	for _, tc := range []struct {
		format, path, want, err string
	}{
		{"", "", "md", ""},
		{"", "out/r.HTML", "html", ""},
		{"", "r.md", "md", ""},
		{"", "tempest.xml", "junit", ""},
		{"", "r.json", "json", ""},
		{"junit", "r.txt", "junit", ""},
		{"", "r.txt", "", "does not say one"},
		{"pdf", "", "", "want html, md, junit or json"},
	} {
		got, err := reportFormat(tc.format, tc.path)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("reportFormat(%q, %q) = %q, %v; want %q, error %q", tc.format, tc.path, got, err, tc.want, tc.err)
		}
	}
}

// TestReportBadFormat: a bad format fails before any server is asked.
func TestReportBadFormat(t *testing.T) {
	_, stderr, code := execute(t, "report", "--address", "127.0.0.1:1", "--format", "pdf", "some-id")
	if code != exitErrored || !strings.Contains(stderr, "--format") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestRunReportFlag: run --report refuses a file whose extension names no
// format before anything starts.
func TestRunReportFlag(t *testing.T) {
	spec := writeFile(t, "spec.yaml", "kind: Experiment\nmetadata: {name: x}\nspec: {}\n")
	_, stderr, code := execute(t, "run", "--address", "127.0.0.1:1", "--report", "r.txt", spec)
	if code != exitErrored || !strings.Contains(stderr, ".html, .md, .xml or .json") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
