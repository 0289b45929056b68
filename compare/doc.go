// Package compare is the one comparator every probe kind uses to judge a
// measured value against a spec's experiment.Comparison.
//
// Contract:
//   - Compare(c, actual) parses actual as the comparison's value type (int,
//     float or string; inferred from the expected value when Type is empty)
//     and applies the operator. The detail always reads
//     "expected <op> <value>, got <actual>" so a failed observation shows
//     both sides.
//   - A measured value that does not parse as the type is a failed
//     comparison (ok false with a detail), not an error: the system under
//     test answered something unexpected.
//   - An error means the comparison itself is unusable (unknown operator,
//     expected value not of its type, bad regular expression, between
//     without two values); it is classified errkind.InvalidSpec. Validate
//     reports the same errors without a measured value, for spec validation.
//
// Operators: == != < <= > >= between (inclusive, values [low, high]),
// oneOf (values), contains and matches (always compared as strings; matches
// takes a Go regular expression, unanchored).
package compare
