package experiment

import (
	"reflect"
	"regexp"
	"testing"
	"time"
)

func TestDurationPattern(t *testing.T) {
	re := regexp.MustCompile(DurationPattern)
	for _, s := range []string{"0", "15s", "1m30s", "500ms", "1.5h", "-2s", "10us", "3µs", ".5s"} {
		if _, err := time.ParseDuration(s); err != nil {
			t.Fatalf("test input %q is not a Go duration", s)
		}
		if !re.MatchString(s) {
			t.Errorf("pattern rejects %q", s)
		}
	}
	for _, s := range []string{"", "15", "s", "1 m", "1d", "15sec"} {
		if re.MatchString(s) {
			t.Errorf("pattern accepts %q", s)
		}
	}
}

// TestEveryTypedStringHasValues walks the spec types: every named string
// type of a spec field is an enum with known values (or a free-form string
// type listed here), so Validate and the schema cover it.
func TestEveryTypedStringHasValues(t *testing.T) {
	free := map[reflect.Type]bool{reflect.TypeFor[SecretRef](): true, reflect.TypeFor[Scalar](): true}
	enums := EnumValues()
	seen := map[reflect.Type]bool{}
	var missing []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			walk(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		case reflect.String:
			if t.PkgPath() == reflect.TypeFor[Experiment]().PkgPath() && !free[t] && len(enums[t]) == 0 {
				missing = append(missing, t.String())
			}
		}
	}
	walk(reflect.TypeFor[Experiment]())
	if len(missing) > 0 {
		t.Errorf("typed strings without values in enumValues(): %v", missing)
	}
	if len(FaultKinds()) != 6 || len(ProbeKinds()) != 6 {
		t.Errorf("kinds = %v %v", FaultKinds(), ProbeKinds())
	}
}
