package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
)

// node is one schema object of the JSON Schema, as decoded.
type node = map[string]any

// The value rules of the JSON Schema are put in words here. The shapes
// below are the ones experiment.SchemaRules produces; anything else is
// shown as the schema's own JSON, so a new kind of rule is never lost,
// only less readable until it is taught here.

// valueWords says what values one field accepts, without the field's
// name: "one of `SOT`, `EOT`", "in 0..255", "non-empty", or the rule's
// own error message. It leaves out the type, which the reference shows
// apart, and the empty value of an optional enum (unset: the default).
func valueWords(s node) string {
	if s == nil {
		return ""
	}
	var parts []string
	msg, _ := s["errorMessage"].(string)
	if msg != "" {
		if rest, ok := strings.CutPrefix(msg, "invalid "); ok {
			msg = "a valid " + rest // a message written as an error
		}
		parts = append(parts, text(msg))
	}
	if e, ok := s["enum"].([]any); ok {
		parts = append(parts, enumWords(e))
	}
	if r := rangeWords(s, "minimum", "maximum"); r != "" {
		parts = append(parts, r)
	}
	if msg == "" {
		if p, ok := s["pattern"].(string); ok && p != experiment.DurationPattern {
			// (A duration's own pattern: the type column says it.)
			parts = append(parts, patternWords(p))
		}
		parts = append(parts, lengthWords(s, "minLength", "maxLength", "characters")...)
		if alts, ok := s["anyOf"].([]any); ok && !onlyTypes(alts) && !isObjectAlts(alts) {
			parts = append(parts, altWords(alts, " or "))
		}
	}
	parts = append(parts, lengthWords(s, "minItems", "maxItems", "items")...)
	if first, ok := s["prefixItems"].([]any); ok && len(first) > 0 {
		if w := valueWords(asNode(first[0])); w != "" {
			parts = append(parts, "first item "+w)
		}
	}
	if it := asNode(s["items"]); it != nil && it["$ref"] == nil {
		if w := valueWords(it); w != "" {
			parts = append(parts, "each item "+w)
		}
	}
	if k := asNode(s["propertyNames"]); k != nil {
		if w := valueWords(k); w != "" {
			parts = append(parts, "keys: "+w)
		}
	}
	if pp := asNode(s["patternProperties"]); pp != nil {
		// One message per key pattern, mostly alike: each part once.
		for _, key := range slices.Sorted(maps.Keys(pp)) {
			for w := range strings.SplitSeq(valueWords(asNode(pp[key])), "; ") {
				if w != "" && !slices.Contains(parts, w) {
					parts = append(parts, w)
				}
			}
		}
	}
	// A field whose object gets rules of its own where it is used (a
	// selector that must narrow).
	if w := objectWords(s, ""); w != "" {
		parts = append(parts, w)
	}
	return strings.Join(parts, "; ")
}

// objectWords says what the rules over an object's fields require:
// required fields, conditions (if/then/else), alternatives (anyOf,
// oneOf), negations (not). Field names are prefixed with prefix.
func objectWords(s node, prefix string) string {
	var parts []string
	req := strings0(s["required"])
	props := asNode(s["properties"])
	for _, name := range req {
		parts = append(parts, propWords(prefix+name, asNode(props[name]), true))
	}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if !slices.Contains(req, name) {
			parts = append(parts, propWords(prefix+name, asNode(props[name]), false))
		}
	}
	if alts, ok := s["allOf"].([]any); ok {
		for _, a := range alts {
			if w := objectWords(asNode(a), prefix); w != "" {
				parts = append(parts, w)
			}
		}
	}
	if alts, ok := s["anyOf"].([]any); ok && isObjectAlts(alts) {
		parts = append(parts, choiceWords(alts, prefix, "at least one of"))
	}
	if alts, ok := s["oneOf"].([]any); ok {
		parts = append(parts, choiceWords(alts, prefix, "exactly one of"))
	}
	if n := asNode(s["not"]); n != nil {
		parts = append(parts, negate(objectWords(n, prefix)))
	}
	if cond := asNode(s["if"]); cond != nil {
		w := "when " + objectWords(cond, prefix) + ": " + objectWords(asNode(s["then"]), prefix)
		if e := asNode(s["else"]); e != nil {
			w += "; otherwise " + objectWords(e, prefix)
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " and ")
}

// isObjectAlts reports whether alternatives are about an object's fields
// (they require or constrain fields) rather than about one value.
func isObjectAlts(alts []any) bool {
	for _, a := range alts {
		n := asNode(a)
		if n["required"] != nil || n["properties"] != nil {
			return true
		}
	}
	return false
}

// patternWords names the duration patterns of package experiment and
// shows any other pattern as it is.
func patternWords(p string) string {
	re, err := regexp.Compile(p)
	if err == nil && re.MatchString("0s") && re.MatchString("0") && !re.MatchString("1s") && !re.MatchString("1ms") {
		return "a zero duration (`0s`)"
	}
	return "matching " + code(p)
}

// propWords says what a condition requires of one field: "`mode` is
// `count`", "`pipeline` is set", "`value` is in 1..100".
func propWords(name string, s node, required bool) string {
	subject := code(name)
	if len(s) == 0 {
		if required {
			return subject + " is set"
		}
		return subject + " (any value)"
	}
	if e, ok := s["enum"].([]any); ok && len(e) == 1 && len(s) == 1 && isEmpty(e[0]) {
		return subject + " is not set"
	}
	if len(s) == 1 {
		if n, ok := s["minLength"].(float64); ok && n == 1 {
			return subject + " is set"
		}
		if n, ok := s["minItems"].(float64); ok && n == 1 {
			return subject + " is set"
		}
		if n, ok := s["minProperties"].(float64); ok && n == 1 {
			return subject + " is set"
		}
		if n := asNode(s["not"]); n != nil {
			if e, ok := n["enum"].([]any); ok && len(n) == 1 {
				if len(e) == 1 && isEmpty(e[0]) {
					return subject + " is set"
				}
				return subject + " is not " + enumWords(e)
			}
		}
	}
	alts, _ := s["anyOf"].([]any)
	if asNode(s["properties"]) != nil || s["required"] != nil || s["not"] != nil || isObjectAlts(alts) {
		return objectWords(s, name+".")
	}
	if len(alts) > 0 && len(s) == 1 {
		return subject + " is " + altWords(alts, " or ")
	}
	if it := asNode(s["items"]); it != nil && len(s) == 1 {
		return "each item of " + subject + " is " + altWords([]any{it}, " or ")
	}
	w := valueWords(s)
	switch {
	case w == "":
		return subject + " is " + code(compact(s))
	case strings.HasPrefix(w, "matching "):
		return subject + " matches " + strings.TrimPrefix(w, "matching ")
	case strings.HasSuffix(w, " items"):
		return subject + " has " + w
	}
	return subject + " is " + w
}

// choiceWords says "at least one of `a`, `b` is set" when each
// alternative only requires one field, else lists the alternatives.
func choiceWords(alts []any, prefix, how string) string {
	var names, words []string
	for _, a := range alts {
		n := asNode(a)
		w := objectWords(n, prefix)
		words = append(words, "("+w+")")
		if req := strings0(n["required"]); len(req) == 1 && strings.HasSuffix(w, " is set") && !strings.Contains(w, " and ") {
			names = append(names, code(prefix+req[0]))
		}
	}
	switch {
	case len(names) == 1 && len(alts) == 1:
		return names[0] + " is set"
	case len(names) == len(alts):
		return how + " " + strings.Join(names, ", ") + " is set"
	}
	return how + ": " + strings.Join(words, ", ")
}

// altWords lists alternatives for one value: "0, or in 50..40000".
func altWords(alts []any, sep string) string {
	var words []string
	for _, a := range alts {
		n := asNode(a)
		if t, ok := n["type"].(string); ok && len(n) == 1 {
			words = append(words, typeWords(t))
			continue
		}
		if e, ok := n["enum"].([]any); ok && len(n) == 1 && len(e) == 1 && e[0] == "" {
			words = append(words, "empty")
			continue
		}
		if inner, ok := n["anyOf"].([]any); ok && len(n) == 1 {
			words = append(words, altWords(inner, sep))
			continue
		}
		w := valueWords(n)
		if t, ok := n["type"].(string); ok {
			w = typeWords(t) + " " + w
		}
		if w == "" {
			w = code(compact(n))
		}
		words = append(words, w)
	}
	return strings.Join(words, sep)
}

// negate turns "`x` is set" into "`x` is not set", "`x` is `v`" into
// "`x` is not `v`"; anything longer becomes "not (...)".
func negate(w string) string {
	if w == "" {
		return ""
	}
	single := !strings.Contains(w, " and ") && !strings.HasPrefix(w, "when ") &&
		!strings.HasPrefix(w, "at least ") && !strings.HasPrefix(w, "exactly ")
	if single && strings.Contains(w, " is ") {
		return strings.Replace(w, " is ", " is not ", 1)
	}
	return "not (" + w + ")"
}

func enumWords(values []any) string {
	var words []string
	for _, v := range values {
		if isEmpty(v) && len(values) > 1 {
			continue
		}
		words = append(words, code(scalarText(v)))
	}
	if len(words) == 1 {
		return words[0]
	}
	return "one of " + strings.Join(words, ", ")
}

func rangeWords(s node, minKey, maxKey string) string {
	lo, hasLo := s[minKey].(float64)
	hi, hasHi := s[maxKey].(float64)
	switch {
	case hasLo && hasHi:
		return fmt.Sprintf("in %g..%g", lo, hi)
	case hasLo:
		return fmt.Sprintf("≥ %g", lo)
	case hasHi:
		return fmt.Sprintf("≤ %g", hi)
	}
	return ""
}

func lengthWords(s node, minKey, maxKey, unit string) []string {
	lo, hasLo := s[minKey].(float64)
	hi, hasHi := s[maxKey].(float64)
	switch {
	case hasLo && hasHi && lo == hi:
		return []string{fmt.Sprintf("exactly %g %s", lo, unit)}
	case hasLo && lo == 1 && !hasHi:
		return []string{"non-empty"}
	case hasHi && hi == 0 && !hasLo:
		return []string{"empty"}
	}
	var words []string
	if hasLo {
		words = append(words, fmt.Sprintf("at least %g %s", lo, unit))
	}
	if hasHi {
		words = append(words, fmt.Sprintf("at most %g %s", hi, unit))
	}
	return words
}

func typeWords(t string) string {
	switch t {
	case "integer":
		return "an integer"
	case "number":
		return "a number"
	case "boolean":
		return "a boolean"
	case "string":
		return "a string"
	}
	return t
}

// onlyTypes reports whether each alternative only names a type (a
// scalar's string, number or boolean), which the type column says.
func onlyTypes(alts []any) bool {
	for _, a := range alts {
		n := asNode(a)
		if _, ok := n["type"]; !ok || len(n) != 1 {
			return false
		}
	}
	return true
}

func isEmpty(v any) bool { return v == "" || v == 0.0 || v == nil }

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		return x
	case float64:
		return fmt.Sprintf("%g", x)
	}
	return compact(v)
}

func compact(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

func asNode(v any) node {
	n, _ := v.(map[string]any)
	return n
}

func strings0(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
