package experiment

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Params are the values of a spec's parameters. A spec writes
// ${NAME} or ${NAME:-default} anywhere a value goes; ResolveParams
// replaces them as text before decoding, so decode errors keep their
// field paths and lines. $$ is a literal $, a $ followed by anything else
// stays as written, and comments are left alone.
type Params struct {
	// Set are the values given on the command line (--set NAME=VALUE);
	// they win over Env.
	Set map[string]string
	// Env looks a name up in the environment (os.LookupEnv); nil: no
	// environment.
	Env func(name string) (string, bool)
}

// Where a parameter's value came from (Param.Source).
const (
	ParamFromSet     = "--set"
	ParamFromEnv     = "environment"
	ParamFromDefault = "default"
)

// Param is one parameter a spec used and the value it took.
type Param struct {
	Name  string
	Value string
	// Source is ParamFromSet, ParamFromEnv or ParamFromDefault.
	Source string
	// Line is the first line that uses it.
	Line int
}

func (p Param) String() string { return fmt.Sprintf("%s=%s (%s)", p.Name, p.Value, p.Source) }

// paramName is what ${...} may name: an environment variable's name.
var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ResolveParams returns data with every ${NAME} and ${NAME:-default}
// replaced by its value (a value set but empty takes the default, as in
// the shell) and every $$ by $, and the parameters it used, by name.
//
// Secret fields (SecretRef: headers, env, mongo uri) are left exactly as
// written, ${...} and $$ included: their env:/file:/k8s: references are
// resolved on the worker, so a value never enters the workflow's history.
// A ${...} written in one is returned as a warning with its field path
// and line.
//
// Every problem is reported at once as a *SpecError with lines: a
// parameter that is not set and has no default, a malformed ${...}, a
// value with a line break (it would move every line below it).
func ResolveParams(data []byte, p Params) (out []byte, used []Param, warnings []FieldError, err error) {
	if !bytes.Contains(data, []byte("$")) {
		return data, nil, nil, nil
	}
	// The first pass finds where the secret fields are; the second
	// leaves them as written.
	first := substitute(data, p, nil)
	skip, warnings := secretOccurrences(first)
	res := first
	if len(skip) > 0 {
		res = substitute(data, p, skip)
	}
	if len(res.problems) > 0 {
		sortByLine(res.problems)
		return nil, nil, nil, &SpecError{Problems: res.problems}
	}
	return res.out, res.params(), warnings, nil
}

// occurrence is one ${...} or $$ of the source.
type occurrence struct {
	// src is its byte offset in the source.
	src int
	// line is its line (1-based) and col its column in the output, in
	// characters (1-based, as yaml.v3 counts).
	line, col int
	// text is what the source says ("${PORT}", "$$").
	text string
	// name is the parameter; "" for $$.
	name string
}

type substitution struct {
	out      []byte
	occs     []occurrence
	used     map[string]Param
	problems []FieldError
}

func (s *substitution) params() []Param {
	ps := make([]Param, 0, len(s.used))
	for _, name := range sortedKeys(s.used) {
		ps = append(ps, s.used[name])
	}
	return ps
}

// substitute replaces the occurrences of data, except those whose source
// offset is in skip, which stay as written.
func substitute(data []byte, p Params, skip map[int]bool) *substitution {
	s := &substitution{used: map[string]Param{}}
	unset := map[string]bool{}
	var out bytes.Buffer
	out.Grow(len(data))
	offset := 0
	for lineNo, line := range bytes.SplitAfter(data, []byte("\n")) {
		lineNo++
		lineStart := out.Len()
		comment := commentStart(line)
		for i := 0; i < len(line); {
			c := line[i]
			if c != '$' || i >= comment || i+1 >= len(line) || (line[i+1] != '$' && line[i+1] != '{') {
				out.WriteByte(c)
				i++
				continue
			}
			occ := occurrence{src: offset + i, line: lineNo, col: utf8.RuneCount(out.Bytes()[lineStart:]) + 1}
			if line[i+1] == '$' {
				occ.text = "$$"
				s.occs = append(s.occs, occ)
				if skip[occ.src] {
					out.WriteString("$$")
				} else {
					out.WriteByte('$')
				}
				i += 2
				continue
			}
			end := bytes.IndexByte(line[i:], '}')
			if end < 0 {
				s.problems = append(s.problems, FieldError{Line: lineNo, Msg: "${ without a closing } (write $$ for a literal $)"})
				out.Write(line[i:])
				break
			}
			occ.text = string(line[i : i+end+1])
			name, def, hasDef := strings.Cut(occ.text[2:len(occ.text)-1], ":-")
			occ.name = name
			i += end + 1
			if !paramName.MatchString(name) {
				s.problems = append(s.problems, FieldError{Line: lineNo, Msg: fmt.Sprintf("%s: a parameter is ${NAME} or ${NAME:-default}, NAME made of letters, digits and _ (write $$ for a literal $)", occ.text)})
				out.WriteString(occ.text)
				continue
			}
			s.occs = append(s.occs, occ)
			if skip[occ.src] {
				out.WriteString(occ.text)
				continue
			}
			value, source, ok := lookupParam(p, name)
			if (!ok || value == "") && hasDef {
				value, source, ok = def, ParamFromDefault, true
			}
			if !ok {
				if !unset[name] {
					unset[name] = true
					s.problems = append(s.problems, FieldError{Line: lineNo, Msg: fmt.Sprintf("${%s} is not set: pass --set %s=VALUE or set it in the environment, or write ${%s:-default}", name, name, name)})
				}
				// A stand-in keeps the document parseable for
				// secretOccurrences.
				out.WriteByte('0')
				continue
			}
			if strings.ContainsAny(value, "\r\n") {
				s.problems = append(s.problems, FieldError{Line: lineNo, Msg: fmt.Sprintf("${%s}: its value (%s) has a line break; a parameter is one line", name, source)})
				continue
			}
			if _, seen := s.used[name]; !seen {
				s.used[name] = Param{Name: name, Value: value, Source: source, Line: lineNo}
			}
			out.WriteString(value)
		}
		offset += len(line)
	}
	s.out = out.Bytes()
	return s
}

func lookupParam(p Params, name string) (value, source string, ok bool) {
	if v, ok := p.Set[name]; ok {
		return v, ParamFromSet, true
	}
	if p.Env != nil {
		if v, ok := p.Env(name); ok {
			return v, ParamFromEnv, true
		}
	}
	return "", "", false
}

// commentStart is the byte offset where line's YAML comment starts, or
// len(line): a # at the start or after a blank, outside quotes. Quotes
// are followed within the line only (a quoted value spanning lines is
// rare in a spec); a quote inside a word (don't) opens nothing.
func commentStart(line []byte) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '"' && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			if i == 0 || strings.IndexByte(" \t[{,:", line[i-1]) >= 0 {
				quote = c
			}
		case c == '#':
			if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' {
				return i
			}
		}
	}
	return len(line)
}

// scalarAt is a scalar of the resolved document: where it starts, its
// field path and whether it is a secret field.
type scalarAt struct {
	line, col int
	path      string
	secret    bool
}

var secretRefType = reflect.TypeFor[SecretRef]()

// secretOccurrences finds the occurrences that fall inside secret fields
// of the resolved document: they are to stay as written. Each ${...}
// among them is a warning. A document that does not parse has none (its
// decoding fails anyway).
func secretOccurrences(s *substitution) (skip map[int]bool, warnings []FieldError) {
	if len(s.occs) == 0 {
		return nil, nil
	}
	root, err := parseDocument(s.out)
	if err != nil {
		return nil, nil
	}
	var scalars []scalarAt
	collectScalars(root, reflect.TypeFor[Experiment](), "", &scalars)
	sort.SliceStable(scalars, func(i, j int) bool {
		a, b := scalars[i], scalars[j]
		return a.line < b.line || (a.line == b.line && a.col < b.col)
	})
	for _, occ := range s.occs {
		// The scalar holding occ is the last one starting before it.
		i := sort.Search(len(scalars), func(i int) bool {
			sc := scalars[i]
			return sc.line > occ.line || (sc.line == occ.line && sc.col > occ.col)
		}) - 1
		if i < 0 || !scalars[i].secret {
			continue
		}
		if skip == nil {
			skip = map[int]bool{}
		}
		skip[occ.src] = true
		if occ.name != "" {
			warnings = append(warnings, FieldError{Path: scalars[i].path, Line: occ.line, Msg: fmt.Sprintf(
				"%s is left as written: parameters are not resolved in secret fields (use env:NAME or file:/path, read on the worker)", occ.text)})
		}
	}
	return skip, warnings
}

// collectScalars appends every scalar under n, keys included, with the
// field path of the Go type t it decodes into (t nil: unknown).
func collectScalars(n *yaml.Node, t reflect.Type, path string, out *[]scalarAt) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.ScalarNode:
		*out = append(*out, scalarAt{line: n.Line, col: n.Column, path: path, secret: t == secretRefType})
	case yaml.SequenceNode:
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Slice {
			elem = t.Elem()
		}
		for i, c := range n.Content {
			collectScalars(c, elem, index(path, i), out)
		}
	case yaml.MappingNode:
		var fields structFields
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			collectScalars(key, nil, path, out)
			var vt reflect.Type
			switch {
			case t == nil:
			case t.Kind() == reflect.Struct:
				vt = fields.byName[key.Value]
			case t.Kind() == reflect.Map:
				vt = t.Elem()
			}
			collectScalars(value, vt, field(path, key.Value), out)
		}
	}
}
