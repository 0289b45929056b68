// Package jsonpath selects one value from a JSON document with a small path
// language shared by the http and cmd probes.
//
// Syntax: an optional "$" root, then member names separated by dots and
// array indexes in brackets: "$.a.b[0].c", "a.b[0].c", "items[2]",
// "$['key with.dots']". Negative indexes count from the end ([-1] is the last
// element). No wildcards, filters or recursive descent: a probe compares one
// value.
//
// Extract returns the selected value as text for package compare: strings
// unquoted, numbers exactly as written, true/false/null as words, objects and
// arrays as compact JSON.
package jsonpath
