package experiment

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// converter turns a YAML node tree into JSON values shaped by a Go type,
// recording the line of every field path and every shape problem.
type converter struct {
	lines    map[string]int
	problems []FieldError
	nodes    int
}

// lineOf is the line of path, or of its nearest written ancestor.
func (c *converter) lineOf(path string) int {
	for {
		if line, ok := c.lines[path]; ok {
			return line
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// reported tells whether a shape problem was found at path or above it.
func (c *converter) reported(path string) bool {
	for _, p := range c.problems {
		if p.Path == "" || path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[") {
			return true
		}
	}
	return false
}

// parentPath drops the last ".name" or "[i]" of a path.
func parentPath(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

func (c *converter) fail(path string, n *yaml.Node, format string, args ...any) {
	c.problems = append(c.problems, FieldError{Path: path, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

var jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// convert returns the JSON value of n for Go type t at path; nil (JSON
// null) after a problem.
func (c *converter) convert(n *yaml.Node, t reflect.Type, path string) any {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c.nodes++
	if c.nodes == maxNodes {
		c.fail(path, n, "document too large (more than %d values after expanding aliases)", maxNodes)
	}
	if c.nodes >= maxNodes {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	// Fault decodes its own JSON only to place a registered kind's block;
	// in a document it is a mapping like any struct (extraFields).
	if t != faultType && reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return c.convertUnmarshaler(n, t, path)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return c.convert(n, t.Elem(), path)
	case reflect.Struct:
		return c.convertStruct(n, t, path)
	case reflect.Map:
		return c.convertMap(n, t, path)
	case reflect.Slice:
		return c.convertSlice(n, t, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			c.fail(path, n, "must be a string")
			return nil
		}
		return n.Value
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			c.fail(path, n, "must be true or false")
			return nil
		}
		return b
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return c.convertInt(n, t, path)
	case reflect.Float32, reflect.Float64:
		return c.convertFloat(n, path)
	default:
		c.fail(path, n, "unsupported value")
		return nil
	}
}

func (c *converter) convertInt(n *yaml.Node, t reflect.Type, path string) any {
	var i int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		c.fail(path, n, "must be an integer")
		return nil
	}
	if reflect.Zero(t).OverflowInt(i) {
		c.fail(path, n, "integer %d out of range", i)
		return nil
	}
	return i
}

func (c *converter) convertFloat(n *yaml.Node, path string) any {
	var f float64
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil ||
		math.IsInf(f, 0) || math.IsNaN(f) {
		c.fail(path, n, "must be a finite number")
		return nil
	}
	return f
}

// convertUnmarshaler checks a scalar against the type's own UnmarshalJSON
// (Duration, Scalar) and reports its message.
func (c *converter) convertUnmarshaler(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.ScalarNode {
		c.fail(path, n, "must be a single value, not a %s", nodeKindName(n))
		return nil
	}
	var v any = n.Value
	switch n.ShortTag() {
	case "!!int", "!!float":
		var f float64
		if n.Decode(&f) != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			c.fail(path, n, "must be a finite number")
			return nil
		}
		v = f
		var i int64
		if n.ShortTag() == "!!int" && n.Decode(&i) == nil {
			v = i
		}
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			v = b
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		c.fail(path, n, "%v", err)
		return nil
	}
	target := reflect.New(t).Interface().(json.Unmarshaler)
	if err := target.UnmarshalJSON(raw); err != nil {
		c.fail(path, n, "%v", err)
		return nil
	}
	return json.RawMessage(raw)
}

func (c *converter) convertStruct(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.MappingNode {
		c.fail(path, n, "must be a mapping, not a %s", nodeKindName(n))
		return nil
	}
	fields := jsonFields(t)
	out := map[string]any{}
	c.eachKey(n, path, func(key string, keyNode, value *yaml.Node, keyPath string) {
		ft, ok := fields.byName[key]
		if !ok {
			c.fail(keyPath, keyNode, "unknown field%s", suggest(key, fields.names))
			return
		}
		// null means unset: leave the field out.
		if v := c.convert(value, ft, keyPath); v != nil {
			out[key] = v
		}
	})
	return out
}

func (c *converter) convertMap(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.MappingNode {
		c.fail(path, n, "must be a mapping, not a %s", nodeKindName(n))
		return nil
	}
	out := map[string]any{}
	c.eachKey(n, path, func(key string, _, value *yaml.Node, keyPath string) {
		if v := c.convert(value, t.Elem(), keyPath); v != nil {
			out[key] = v
		}
	})
	if len(out) == 0 {
		// An empty mapping is the same as an absent one: it must not
		// decode differently from the spec's own JSON, which omits it.
		return nil
	}
	return out
}

// eachKey calls fn for every key of mapping n in document order, after
// recording its line and refusing non-string, duplicate and merge keys.
func (c *converter) eachKey(n *yaml.Node, path string, fn func(key string, keyNode, value *yaml.Node, keyPath string)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keyNode, value := n.Content[i], n.Content[i+1]
		for keyNode.Kind == yaml.AliasNode && keyNode.Alias != nil {
			keyNode = keyNode.Alias
		}
		if keyNode.Kind != yaml.ScalarNode {
			c.fail(path, keyNode, "keys must be strings")
			continue
		}
		key := keyNode.Value
		keyPath := field(path, key)
		if keyNode.ShortTag() == "!!merge" {
			c.fail(path, keyNode, "merge keys (<<) are not supported")
			continue
		}
		if seen[key] {
			c.fail(keyPath, keyNode, "duplicate key")
			continue
		}
		seen[key] = true
		c.lines[keyPath] = keyNode.Line
		fn(key, keyNode, value, keyPath)
	}
}

func (c *converter) convertSlice(n *yaml.Node, t reflect.Type, path string) any {
	if n.Kind != yaml.SequenceNode {
		c.fail(path, n, "must be a list, not a %s", nodeKindName(n))
		return nil
	}
	out := make([]any, 0, len(n.Content))
	for i, elem := range n.Content {
		elemPath := index(path, i)
		c.lines[elemPath] = elem.Line
		v := c.convert(elem, t.Elem(), elemPath)
		if v == nil {
			// null (or a reported problem) is the element type's zero value.
			v = reflect.Zero(t.Elem()).Interface()
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		// An empty list is the same as an absent one (see convertMap).
		return nil
	}
	return out
}

func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "single value"
	}
}

// structFields are a struct's JSON field names, in declaration order, and
// their types.
type structFields struct {
	names  []string
	byName map[string]reflect.Type
}

func jsonFields(t reflect.Type) structFields {
	fs := structFields{byName: map[string]reflect.Type{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs.names = append(fs.names, name)
		fs.byName[name] = f.Type
	}
	extraFields(t, &fs)
	return fs
}
