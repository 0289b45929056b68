package compare_test

import (
	"strings"
	"testing"

	"github.com/tempest-chaos/tempest/compare"
	"github.com/tempest-chaos/tempest/experiment"
)

// FuzzCompare: a comparison that validates never errors on any measured
// value, always explains itself, and == / != are complementary.
func FuzzCompare(f *testing.F) {
	for _, seed := range [][4]string{
		{"", "==", "0", "7"}, {"int", "<", "10", "9"}, {"float", ">=", "0.5", "NaN"},
		{"string", "matches", `^v\d+$`, "v1"}, {"", "contains", "ok", ""}, {"", "!=", "-3", " -3 "},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, typ, op, value, actual string) {
		c := experiment.Comparison{Type: experiment.ValueType(typ), Op: experiment.Operator(op), Value: experiment.Scalar(value)}
		if compare.Validate(c) != nil {
			return
		}
		ok, detail, err := compare.Compare(c, actual)
		if err != nil {
			t.Fatalf("valid comparison %+v errored on %q: %v", c, actual, err)
		}
		if !strings.HasPrefix(detail, "expected ") {
			t.Fatalf("detail %q does not explain itself", detail)
		}
		if c.Op == experiment.OpEq {
			c.Op = experiment.OpNe
			notOK, _, _ := compare.Compare(c, actual)
			if ok && notOK {
				t.Fatalf("%q both == and != %q", actual, value)
			}
		}
	})
}
