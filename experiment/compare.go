package experiment

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// ValueType says how a measured value is compared.
type ValueType string

// Value types.
const (
	ValueInt    ValueType = "int"
	ValueFloat  ValueType = "float"
	ValueString ValueType = "string"
)

// Operator is a comparison operator.
type Operator string

// Operators.
const (
	OpEq       Operator = "=="
	OpNe       Operator = "!="
	OpLt       Operator = "<"
	OpLe       Operator = "<="
	OpGt       Operator = ">"
	OpGe       Operator = ">="
	OpBetween  Operator = "between"
	OpOneOf    Operator = "oneOf"
	OpContains Operator = "contains"
	OpMatches  Operator = "matches"
)

// Comparison checks a measured value: `{type: int, op: "==", value: 0}`.
// "between" takes values [low, high] (inclusive); "oneOf" takes values.
type Comparison struct {
	// Type of the measured value (default: int when Value looks like an
	// integer, float when it looks like a number, else string).
	Type   ValueType `json:"type,omitempty"`
	Op     Operator  `json:"op"`
	Value  Scalar    `json:"value,omitempty"`
	Values []Scalar  `json:"values,omitempty"`
}

// Scalar is a number or string written in a spec, kept as its text.
type Scalar string

// UnmarshalJSON accepts a JSON string, number or boolean.
func (s *Scalar) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case string:
		*s = Scalar(t)
	case float64:
		*s = Scalar(string(b))
	case bool:
		*s = Scalar(strconv.FormatBool(t))
	default:
		return fmt.Errorf("must be a string, number or boolean")
	}
	return nil
}

// String returns the scalar's text.
func (s Scalar) String() string { return string(s) }
