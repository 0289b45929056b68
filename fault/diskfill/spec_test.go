package diskfill

import (
	"context"
	"testing"

	"github.com/tempest-chaos/tempest/errkind"
)

// TestValidate: each bad block gives one line naming the field.
func TestValidate(t *testing.T) {
	const path = "spec.faults[0].diskFill"
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"percent over 100", Spec{Path: "/data", Percent: 150}, "spec.faults[0].diskFill.percent: 150 is not more than 0 and at most 100"},
		{"negative percent", Spec{Path: "/data", Percent: -1}, "spec.faults[0].diskFill.percent: -1 is not more than 0 and at most 100"},
		{"bytes 0", Spec{Path: "/data", Bytes: "0"}, `spec.faults[0].diskFill.bytes: "0" must be more than 0`},
		{"bytes not a size", Spec{Path: "/data", Bytes: "lots"}, `spec.faults[0].diskFill.bytes: "lots" is not a size (bytes, or a number with a unit such as 512Mi, 2Gi, 500M)`},
		{"bytes fractional", Spec{Path: "/data", Bytes: "0.5"}, `spec.faults[0].diskFill.bytes: "0.5" is not a whole number of bytes (at most 8Ei)`},
		{"missing path", Spec{Percent: 80}, "spec.faults[0].diskFill.path: required: the directory whose filesystem is filled"},
		{"relative path", Spec{Path: "data", Percent: 80}, `spec.faults[0].diskFill.path: "data" is not an absolute path`},
		{"unclean path", Spec{Path: "/data/../etc", Percent: 80}, `spec.faults[0].diskFill.path: "/data/../etc" is not a clean path; write "/etc"`},
		{"both", Spec{Path: "/data", Percent: 80, Bytes: "1Gi"}, "spec.faults[0].diskFill.percent: set percent or bytes, not both"},
		{"neither", Spec{Path: "/data"}, "spec.faults[0].diskFill: set percent or bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.spec.Validate(path)
			if len(errs) != 1 || errs[0].Error() != tc.want {
				t.Fatalf("Validate = %v\nwant      %s", errs, tc.want)
			}
		})
	}
	for _, ok := range []Spec{{Path: "/data", Percent: 100}, {Path: "/", Percent: 0.5}, {Path: "/data", Bytes: "512Mi"}, {Path: "/data", Bytes: "1048576"}, {Path: "/data", Bytes: "1G"}} {
		if errs := ok.Validate(path); len(errs) != 0 {
			t.Errorf("%+v: %v", ok, errs)
		}
	}
}

// TestInjectBadSpec: a bad block is InvalidSpec and nothing is written.
func TestInjectBadSpec(t *testing.T) {
	dir := mountTmpfs(t, "8m")
	d := New(t.TempDir())
	_, err := d.inject(context.Background(), request("run-1", "bad", 1, dir), &Spec{Path: dir, Percent: 101})
	if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec {
		t.Fatalf("inject percent 101: %v, want InvalidSpec", err)
	}
	if got := markedFiles(t, dir); len(got) != 0 {
		t.Fatalf("left: %v", got)
	}
	if got := indexEntries(t, d); len(got) != 0 {
		t.Fatalf("index: %v", got)
	}
}
