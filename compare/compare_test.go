package compare_test

import (
	"strings"
	"testing"

	"github.com/tempest-chaos/tempest/compare"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

func cmpOf(op experiment.Operator, v string, values ...string) experiment.Comparison {
	c := experiment.Comparison{Op: op, Value: experiment.Scalar(v)}
	for _, s := range values {
		c.Values = append(c.Values, experiment.Scalar(s))
	}
	return c
}

func typed(typ experiment.ValueType, c experiment.Comparison) experiment.Comparison {
	c.Type = typ
	return c
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		c          experiment.Comparison
		actual     string
		want       bool
		wantDetail string
	}{
		{"int eq pass", cmpOf(experiment.OpEq, "0"), "0", true, "expected == 0, got 0"},
		{"int eq fail shows both sides", cmpOf(experiment.OpEq, "0"), "7", false, "expected == 0, got 7"},
		{"int eq trims space", cmpOf(experiment.OpEq, "0"), " 0\n", true, ""},
		{"int accepts 3.0", cmpOf(experiment.OpEq, "3"), "3.0", true, ""},
		{"int rejects 3.5", cmpOf(experiment.OpEq, "3"), "3.5", false, "not an int"},
		{"int is numeric not lexical", cmpOf(experiment.OpLt, "10"), "9", true, ""},
		{"int ne", cmpOf(experiment.OpNe, "0"), "1", true, ""},
		{"int le equal", cmpOf(experiment.OpLe, "5"), "5", true, ""},
		{"int gt fail", cmpOf(experiment.OpGt, "5"), "5", false, "expected > 5, got 5"},
		{"int ge", cmpOf(experiment.OpGe, "5"), "6", true, ""},
		{"not a number fails, no error", cmpOf(experiment.OpEq, "0"), "curl: (7) failed", false, `got "curl: (7) failed" (not an int)`},
		{"empty output fails", cmpOf(experiment.OpEq, "0"), "", false, `got ""`},
		{"float inferred", cmpOf(experiment.OpLt, "0.5"), "0.25", true, ""},
		{"float fail", cmpOf(experiment.OpLe, "0.01"), "0.02", false, "expected <= 0.01, got 0.02"},
		{"float scientific", cmpOf(experiment.OpGt, "1"), "1e3", true, ""},
		{"explicit float type on int value", typed(experiment.ValueFloat, cmpOf(experiment.OpEq, "1")), "1.0", true, ""},
		{"string inferred", cmpOf(experiment.OpEq, "ok"), "ok", true, ""},
		{"string eq fail", cmpOf(experiment.OpEq, "ok"), "degraded", false, "expected == ok, got degraded"},
		{"explicit string keeps digits as text", typed(experiment.ValueString, cmpOf(experiment.OpEq, "007")), "7", false, ""},
		{"between inclusive low", cmpOf(experiment.OpBetween, "", "1", "5"), "1", true, ""},
		{"between inclusive high", cmpOf(experiment.OpBetween, "", "1", "5"), "5", true, ""},
		{"between outside", cmpOf(experiment.OpBetween, "", "1", "5"), "6", false, "expected between [1, 5], got 6"},
		{"between floats", cmpOf(experiment.OpBetween, "", "0.1", "0.9"), "0.5", true, ""},
		{"oneOf ints", cmpOf(experiment.OpOneOf, "", "200", "204"), "204", true, ""},
		{"oneOf miss", cmpOf(experiment.OpOneOf, "", "200", "204"), "500", false, "expected oneOf [200, 204], got 500"},
		{"oneOf strings", cmpOf(experiment.OpOneOf, "", "green", "yellow"), "yellow", true, ""},
		{"contains", cmpOf(experiment.OpContains, "ready"), "all ready now", true, ""},
		{"contains digits is textual", cmpOf(experiment.OpContains, "42"), "answer 42", true, ""},
		{"contains fail", cmpOf(experiment.OpContains, "ready"), "starting", false, `expected contains "ready", got starting`},
		{"matches", cmpOf(experiment.OpMatches, `^v\d+\.\d+$`), "v1.2", true, ""},
		{"matches fail", cmpOf(experiment.OpMatches, `^v\d+$`), "x", false, `expected matches /^v\d+$/, got x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, detail, err := compare.Compare(tc.c, tc.actual)
			if err != nil {
				t.Fatalf("Compare: unexpected error %v", err)
			}
			if ok != tc.want {
				t.Fatalf("Compare(%+v, %q) = %v (%s), want %v", tc.c, tc.actual, ok, detail, tc.want)
			}
			if !strings.Contains(detail, tc.wantDetail) {
				t.Fatalf("detail %q, want it to contain %q", detail, tc.wantDetail)
			}
		})
	}
}

func TestBadComparisonsAreInvalidSpec(t *testing.T) {
	tests := []struct {
		name    string
		c       experiment.Comparison
		wantErr string
	}{
		{"no op", cmpOf("", "0"), "op: required"},
		{"unknown op", cmpOf("=~", "0"), `op: unknown operator "=~"`},
		{"unknown type", typed("bool", cmpOf(experiment.OpEq, "true")), `type: unknown value type "bool"`},
		{"int value not int", typed(experiment.ValueInt, cmpOf(experiment.OpEq, "zero")), `value: "zero" is not an integer`},
		{"float value not number", typed(experiment.ValueFloat, cmpOf(experiment.OpLt, "x")), `value: "x" is not a number`},
		{"between one value", cmpOf(experiment.OpBetween, "", "1"), "between takes exactly two values"},
		{"between reversed", cmpOf(experiment.OpBetween, "", "5", "1"), "low 5 is above high 1"},
		{"between bad high", typed(experiment.ValueInt, cmpOf(experiment.OpBetween, "", "1", "x")), "values[1]:"},
		{"oneOf empty", cmpOf(experiment.OpOneOf, ""), "oneOf needs at least one value"},
		{"eq with values", cmpOf(experiment.OpEq, "", "1", "2"), "takes value, not values"},
		{"bad regex", cmpOf(experiment.OpMatches, "("), "bad regular expression"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := compare.Compare(tc.c, "1")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Compare error = %v, want it to contain %q", err, tc.wantErr)
			}
			if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec {
				t.Fatalf("error type %q, want %s", typ, errkind.InvalidSpec)
			}
			if verr := compare.Validate(tc.c); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Validate = %v, want the same error as Compare (%v)", verr, err)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	if got := compare.Describe(cmpOf(experiment.OpBetween, "", "1", "5")); got != "between [1, 5]" {
		t.Fatalf("Describe = %q", got)
	}
}
