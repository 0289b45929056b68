package experiment

import (
	"regexp"
	"strconv"
)

// validate checks a comparison: a known operator and type, the number of
// values the operator takes, values of the declared type, and a regular
// expression that compiles for "matches".
func (c *Comparison) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, requireEnum(field(path, "op"), c.Op)...)
	errs = append(errs, checkEnum(field(path, "type"), c.Type)...)
	if len(errs) > 0 {
		return errs
	}
	values := field(path, "values")
	switch c.Op {
	case OpBetween:
		if len(c.Values) != 2 {
			errs = append(errs, fieldErr(values, "between needs two values [low, high], got %d", len(c.Values)))
		}
	case OpOneOf:
		if len(c.Values) == 0 {
			errs = append(errs, fieldErr(values, "oneOf needs at least one value"))
		}
	default:
		if len(c.Values) > 0 {
			errs = append(errs, fieldErr(values, "only used with between and oneOf; use value"))
		}
	}
	if (c.Op == OpBetween || c.Op == OpOneOf) && c.Value != "" {
		errs = append(errs, fieldErr(field(path, "value"), "not used with %s; use values", c.Op))
	}
	if c.Op == OpMatches {
		if _, err := regexp.Compile(string(c.Value)); err != nil {
			errs = append(errs, fieldErr(field(path, "value"), "invalid regular expression: %v", err))
		}
	}
	if c.Value != "" {
		errs = append(errs, c.checkType(field(path, "value"), c.Value)...)
	}
	for i, v := range c.Values {
		errs = append(errs, c.checkType(index(values, i), v)...)
	}
	return errs
}

// checkType reports a value that is not of the comparison's numeric type.
func (c *Comparison) checkType(path string, v Scalar) []FieldError {
	switch c.Type {
	case ValueInt:
		if _, err := strconv.ParseInt(string(v), 10, 64); err != nil {
			return []FieldError{fieldErr(path, "%q is not an integer (type int)", string(v))}
		}
	case ValueFloat:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			return []FieldError{fieldErr(path, "%q is not a number (type float)", string(v))}
		}
	}
	return nil
}
