package compare

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// Compare judges actual (the measured value as text) against c. See the
// package doc for the contract.
func Compare(c experiment.Comparison, actual string) (ok bool, detail string, err error) {
	check, err := compile(c)
	if err != nil {
		return false, "", err
	}
	detail = fmt.Sprintf("expected %s, got %s", check.expectation, quoteIfNeeded(actual))
	ok, why := check.judge(actual)
	if why != "" {
		detail += " (" + why + ")"
	}
	return ok, detail, nil
}

// Validate reports why c cannot be used, with field names relative to the
// comparison ("op", "value", "values").
func Validate(c experiment.Comparison) error {
	_, err := compile(c)
	return err
}

// Describe renders c for people: "== 0", "between [1, 5]".
func Describe(c experiment.Comparison) string {
	check, err := compile(c)
	if err != nil {
		return fmt.Sprintf("%s %s", c.Op, c.Value)
	}
	return check.expectation
}

// check is a compiled comparison.
type check struct {
	expectation string
	judge       func(actual string) (ok bool, why string)
}

func compile(c experiment.Comparison) (check, error) {
	typ, err := valueType(c)
	if err != nil {
		return check{}, err
	}
	switch c.Op {
	case experiment.OpEq, experiment.OpNe, experiment.OpLt, experiment.OpLe, experiment.OpGt, experiment.OpGe:
		if len(c.Values) > 0 {
			return check{}, invalid("values: operator %s takes value, not values", c.Op)
		}
		want, err := parse(typ, string(c.Value))
		if err != nil {
			return check{}, invalid("value: %v", err)
		}
		op := c.Op
		return check{
			expectation: fmt.Sprintf("%s %s", op, quoteIfNeeded(string(c.Value))),
			judge: typed(typ, func(got value) bool {
				return order(op, got.cmp(want))
			}),
		}, nil
	case experiment.OpBetween:
		if len(c.Values) != 2 {
			return check{}, invalid("values: between takes exactly two values [low, high], got %d", len(c.Values))
		}
		low, err := parse(typ, string(c.Values[0]))
		if err != nil {
			return check{}, invalid("values[0]: %v", err)
		}
		high, err := parse(typ, string(c.Values[1]))
		if err != nil {
			return check{}, invalid("values[1]: %v", err)
		}
		if low.cmp(high) > 0 {
			return check{}, invalid("values: between low %s is above high %s", c.Values[0], c.Values[1])
		}
		return check{
			expectation: fmt.Sprintf("between [%s, %s]", quoteIfNeeded(string(c.Values[0])), quoteIfNeeded(string(c.Values[1]))),
			judge: typed(typ, func(got value) bool {
				return got.cmp(low) >= 0 && got.cmp(high) <= 0
			}),
		}, nil
	case experiment.OpOneOf:
		if len(c.Values) == 0 {
			return check{}, invalid("values: oneOf needs at least one value")
		}
		wants := make([]value, len(c.Values))
		shown := make([]string, len(c.Values))
		for i, v := range c.Values {
			w, err := parse(typ, string(v))
			if err != nil {
				return check{}, invalid("values[%d]: %v", i, err)
			}
			wants[i], shown[i] = w, quoteIfNeeded(string(v))
		}
		return check{
			expectation: fmt.Sprintf("oneOf [%s]", strings.Join(shown, ", ")),
			judge: typed(typ, func(got value) bool {
				for _, w := range wants {
					if got.cmp(w) == 0 {
						return true
					}
				}
				return false
			}),
		}, nil
	case experiment.OpContains:
		if len(c.Values) > 0 {
			return check{}, invalid("values: contains takes value, not values")
		}
		want := string(c.Value)
		return check{
			expectation: fmt.Sprintf("contains %q", want),
			judge: func(actual string) (bool, string) {
				return strings.Contains(actual, want), ""
			},
		}, nil
	case experiment.OpMatches:
		if len(c.Values) > 0 {
			return check{}, invalid("values: matches takes value, not values")
		}
		re, err := regexp.Compile(string(c.Value))
		if err != nil {
			return check{}, invalid("value: bad regular expression: %v", err)
		}
		return check{
			expectation: fmt.Sprintf("matches /%s/", re),
			judge: func(actual string) (bool, string) {
				return re.MatchString(actual), ""
			},
		}, nil
	case "":
		return check{}, invalid("op: required (one of ==, !=, <, <=, >, >=, between, oneOf, contains, matches)")
	default:
		return check{}, invalid("op: unknown operator %q (want one of ==, !=, <, <=, >, >=, between, oneOf, contains, matches)", c.Op)
	}
}

// typed parses the measured value before judging it; a value that is not of
// the type fails with a reason.
func typed(typ experiment.ValueType, pred func(value) bool) func(string) (bool, string) {
	return func(actual string) (bool, string) {
		got, err := parse(typ, actual)
		if err != nil {
			return false, fmt.Sprintf("not %s %s", article(typ), typ)
		}
		return pred(got), ""
	}
}

func order(op experiment.Operator, cmp int) bool {
	switch op {
	case experiment.OpEq:
		return cmp == 0
	case experiment.OpNe:
		return cmp != 0
	case experiment.OpLt:
		return cmp < 0
	case experiment.OpLe:
		return cmp <= 0
	case experiment.OpGt:
		return cmp > 0
	default: // OpGe
		return cmp >= 0
	}
}

// valueType is c.Type, or inferred from the expected values.
func valueType(c experiment.Comparison) (experiment.ValueType, error) {
	switch c.Type {
	case experiment.ValueInt, experiment.ValueFloat, experiment.ValueString:
		return c.Type, nil
	case "":
	default:
		return "", invalid("type: unknown value type %q (want int, float or string)", c.Type)
	}
	if c.Op == experiment.OpContains || c.Op == experiment.OpMatches {
		return experiment.ValueString, nil
	}
	expected := c.Values
	if len(expected) == 0 {
		expected = []experiment.Scalar{c.Value}
	}
	typ := experiment.ValueInt
	for _, v := range expected {
		s := strings.TrimSpace(string(v))
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			continue
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
			typ = experiment.ValueFloat
			continue
		}
		return experiment.ValueString, nil
	}
	return typ, nil
}

func invalid(format string, args ...any) error {
	return errkind.New(errkind.InvalidSpec, format, args...)
}

func article(typ experiment.ValueType) string {
	if typ == experiment.ValueInt {
		return "an"
	}
	return "a"
}

// quoteIfNeeded shows empty strings and strings with spaces quoted so the
// detail stays readable.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"") {
		return strconv.Quote(s)
	}
	return s
}
