package compare

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
)

// value is a parsed operand of one value type.
type value struct {
	typ experiment.ValueType
	i   int64
	f   float64
	s   string
}

// parse reads s as typ. Numbers are trimmed of surrounding space; an int
// type also accepts a float with no fractional part ("3.0"), as JSON and
// PromQL print numbers that way.
func parse(typ experiment.ValueType, s string) (value, error) {
	switch typ {
	case experiment.ValueInt:
		t := strings.TrimSpace(s)
		if i, err := strconv.ParseInt(t, 10, 64); err == nil {
			return value{typ: typ, i: i}, nil
		}
		f, err := strconv.ParseFloat(t, 64)
		if err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return value{typ: typ, i: int64(f)}, nil
		}
		return value{}, fmt.Errorf("%s is not an integer", strconv.Quote(s))
	case experiment.ValueFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) {
			return value{}, fmt.Errorf("%s is not a number", strconv.Quote(s))
		}
		return value{typ: typ, f: f}, nil
	default:
		return value{typ: experiment.ValueString, s: s}, nil
	}
}

// cmp orders two values of the same type.
func (v value) cmp(w value) int {
	switch v.typ {
	case experiment.ValueInt:
		return cmp.Compare(v.i, w.i)
	case experiment.ValueFloat:
		return cmp.Compare(v.f, w.f)
	default:
		return strings.Compare(v.s, w.s)
	}
}
