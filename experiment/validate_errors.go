package experiment

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem of a spec: the field path in JSON names
// ("spec.faults[0].duration"), the YAML line it was written on (0 when the
// spec did not come from Decode), and what is wrong.
type FieldError struct {
	Path string
	Line int
	Msg  string
}

// Error prints the problem on one line:
// "spec.faults[0].duration: must be > 0 (line 14)". A problem of the
// document itself (invalid YAML) has no path and prints "line 3: ...".
func (e FieldError) Error() string {
	switch {
	case e.Path == "" && e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	case e.Path == "":
		return e.Msg
	case e.Line > 0:
		return fmt.Sprintf("%s: %s (line %d)", e.Path, e.Msg, e.Line)
	default:
		return e.Path + ": " + e.Msg
	}
}

// SpecError is every problem found in a spec, in document order.
type SpecError struct {
	// Problems lists each problem once; never empty.
	Problems []FieldError
}

// Error prints one problem per line.
func (e *SpecError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// specError returns nil without problems, else a *SpecError.
func specError(problems []FieldError) error {
	if len(problems) == 0 {
		return nil
	}
	return &SpecError{Problems: problems}
}

// fieldErr builds one FieldError without a line.
func fieldErr(path, format string, args ...any) FieldError {
	return FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// sortByLine orders problems by line, keeping the order of problems on the
// same line (stable, so the result is deterministic).
func sortByLine(problems []FieldError) {
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
}

// field joins a parent path and a field name.
func field(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// index is the path of element i of the list at path.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// sortedKeys returns the keys of m in sorted order, so that validating a
// map reports its problems in the same order every time.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	//workflowcheck:ignore the keys are sorted below, so the order is deterministic
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
