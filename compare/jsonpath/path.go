package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
)

// step is one path element: a member name or an array index.
type step struct {
	name    string
	index   int
	isIndex bool
}

func (s step) String() string {
	if s.isIndex {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return "." + s.name
}

// parse splits a path into steps.
func parse(path string) ([]step, error) {
	rest := strings.TrimSpace(path)
	rest = strings.TrimPrefix(rest, "$")
	var steps []step
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			name, tail := cutName(rest)
			if name == "" {
				return nil, fmt.Errorf("jsonpath %q: empty member name", path)
			}
			steps = append(steps, step{name: name})
			rest = tail
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("jsonpath %q: unclosed [", path)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if quoted, ok := unquote(inner); ok {
				steps = append(steps, step{name: quoted})
				continue
			}
			i, err := strconv.Atoi(strings.TrimSpace(inner))
			if err != nil {
				return nil, fmt.Errorf("jsonpath %q: [%s] is neither an index nor a quoted name", path, inner)
			}
			steps = append(steps, step{index: i, isIndex: true})
		default:
			if len(steps) > 0 {
				return nil, fmt.Errorf("jsonpath %q: unexpected %q", path, rest[0])
			}
			name, tail := cutName(rest)
			steps = append(steps, step{name: name})
			rest = tail
		}
	}
	return steps, nil
}

// cutName reads a member name up to the next '.' or '['.
func cutName(s string) (name, rest string) {
	end := strings.IndexAny(s, ".[")
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}

func unquote(s string) (string, bool) {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], true
	}
	return "", false
}

// Validate reports whether path is syntactically valid.
func Validate(path string) error {
	_, err := parse(path)
	return err
}
