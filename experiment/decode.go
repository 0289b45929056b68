package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the YAML nodes a document may expand to (aliases
// included), so a small document cannot expand into a huge one.
const maxNodes = 100_000

// Decode parses an experiment written in YAML or JSON (JSON is YAML), applies
// the defaults and validates it. name is the document's name (a file path)
// and only serves messages.
//
// Every problem is reported at once, in document order, as a *SpecError
// whose entries carry the field path and the YAML line. Unknown fields and
// values of the wrong type are problems too. Invalid YAML is one problem,
// "line N: ...".
func Decode(name string, data []byte) (*Experiment, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	c := converter{lines: map[string]int{"": root.Line}}
	value := c.convert(root, reflect.TypeFor[Experiment](), "")
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, &SpecError{Problems: append(c.problems, FieldError{Line: root.Line, Msg: fmt.Sprintf("%s: %v", name, err)})}
	}
	var exp Experiment
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&exp); err != nil {
		return nil, &SpecError{Problems: append(c.problems, FieldError{Line: root.Line, Msg: fmt.Sprintf("%s: %v", name, err)})}
	}
	ApplyDefaults(&exp)
	problems := c.problems
	for _, p := range exp.validate() {
		// A value already reported as malformed was decoded as unset;
		// do not report it again as missing.
		if !c.reported(p.Path) {
			p.Line = c.lineOf(p.Path)
			problems = append(problems, p)
		}
	}
	sortByLine(problems)
	if err := specError(problems); err != nil {
		return nil, err
	}
	return &exp, nil
}

// parseDocument parses exactly one YAML document and returns its root node.
func parseDocument(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; a spec decoder
		// must answer with an error instead.
		if r := recover(); r != nil {
			root, err = nil, &SpecError{Problems: []FieldError{{Msg: fmt.Sprintf("invalid YAML: %v", r)}}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &SpecError{Problems: []FieldError{{Line: 1, Msg: "empty document"}}}
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(err)
	default:
		return nil, &SpecError{Problems: []FieldError{{Line: extra.Line, Msg: "only one document is allowed"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &SpecError{Problems: []FieldError{{Line: 1, Msg: "empty document"}}}
	}
	return doc.Content[0], nil
}

// yamlError turns a yaml.v3 syntax error into a one-line problem.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, convErr := strconv.Atoi(num); convErr == nil {
				line, msg = n, tail
			}
		}
	}
	if line == 0 {
		msg = "invalid YAML: " + msg
	}
	return &SpecError{Problems: []FieldError{{Line: line, Msg: msg}}}
}
