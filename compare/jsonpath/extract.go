package jsonpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Lookup returns the value at path in a document decoded with
// json.Decoder.UseNumber (map[string]any, []any, json.Number, string, bool,
// nil).
func Lookup(doc any, path string) (any, error) {
	steps, err := parse(path)
	if err != nil {
		return nil, err
	}
	cur := doc
	var at strings.Builder
	at.WriteString("$")
	for _, s := range steps {
		switch node := cur.(type) {
		case map[string]any:
			if s.isIndex {
				return nil, fmt.Errorf("%s is an object, not an array (index %s)", at.String(), s)
			}
			v, ok := node[s.name]
			if !ok {
				return nil, fmt.Errorf("%s has no member %q", at.String(), s.name)
			}
			cur = v
		case []any:
			if !s.isIndex {
				return nil, fmt.Errorf("%s is an array, not an object (member %q)", at.String(), s.name)
			}
			i := s.index
			if i < 0 {
				i += len(node)
			}
			if i < 0 || i >= len(node) {
				return nil, fmt.Errorf("%s has %d elements, no index %d", at.String(), len(node), s.index)
			}
			cur = node[i]
		default:
			return nil, fmt.Errorf("%s is a %s, cannot select %s", at.String(), kindOf(node), s)
		}
		at.WriteString(s.String())
	}
	return cur, nil
}

// Extract parses data as JSON and returns the value at path as text.
func Extract(data []byte, path string) (string, error) {
	if err := Validate(path); err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", fmt.Errorf("not JSON: %w", err)
	}
	v, err := Lookup(doc, path)
	if err != nil {
		return "", err
	}
	return Text(v)
}

// Text renders a decoded JSON value as comparable text.
func Text(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "null", nil
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case bool:
		if t {
			return "true", nil
		}
		return "false", nil
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return "", fmt.Errorf("render %s: %w", kindOf(t), err)
		}
		return string(b), nil
	}
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	default:
		return fmt.Sprintf("%T", v)
	}
}
