package report

import (
	"bytes"
	"strings"
	"testing"

	junit "github.com/joshdk/go-junit"
)

// TestJUnitReadByAConsumer parses the JUnit report with go-junit, the
// parser of CI tools that ingest JUnit (not our own encoding/xml types).
func TestJUnitReadByAConsumer(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, sampleRun()); err != nil {
		t.Fatal(err)
	}
	suites, err := junit.Ingest(b.Bytes())
	if err != nil {
		t.Fatalf("go-junit: %v\n%s", err, b.String())
	}
	if len(suites) != 1 || suites[0].Name != "checkout-kill" {
		t.Fatalf("suites %+v, want one named checkout-kill", suites)
	}
	s := suites[0]
	if s.Properties["verdict"] != "Failed" || s.Properties["workflowId"] != "tempest-checkout-kill-1a2b3c4d" {
		t.Errorf("properties %v", s.Properties)
	}
	want := map[string]junit.Status{
		"verdict":                        junit.StatusFailed,
		"probe serving-before (SOT)":     junit.StatusPassed,
		"probe checkout-ok (Continuous)": junit.StatusFailed,
		"threshold http_req_duration{phase:chaos}: p(95)<500ms": junit.StatusPassed,
		"threshold http_req_failed{phase:chaos}: rate<0.05":     junit.StatusFailed,
		"threshold http_reqs: rate>50":                          junit.StatusPassed,
		"threshold http_reqs: count>1000":                       junit.StatusPassed,
		"fault kill-checkout reverted":                          junit.StatusPassed,
		"fault pause-db reverted":                               junit.StatusError,
	}
	got := map[string]junit.Test{}
	for _, tc := range s.Tests {
		got[tc.Name] = tc
	}
	for name, status := range want {
		tc, ok := got[name]
		if !ok {
			t.Errorf("no testcase %q; have %v", name, keys(got))
			continue
		}
		if tc.Status != status {
			t.Errorf("%s: status %s, want %s", name, tc.Status, status)
		}
	}
	if len(s.Tests) != len(want) {
		t.Errorf("%d testcases, want %d", len(s.Tests), len(want))
	}
	// A failure carries the measured value.
	for name, measured := range map[string]string{
		"threshold http_req_failed{phase:chaos}: rate<0.05": "measured rate=0.21",
		"probe checkout-ok (Continuous)":                    "expected status 200, got 503",
		"fault pause-db reverted":                           "pid/777",
	} {
		if tc := got[name]; tc.Error == nil || !strings.Contains(tc.Error.Error(), measured) {
			t.Errorf("%s: error %v, want it to say %q", name, tc.Error, measured)
		}
	}
	if s.Totals.Tests != 9 || s.Totals.Failed != 3 || s.Totals.Error != 1 {
		t.Errorf("totals %+v, want 9 tests, 3 failed, 1 error", s.Totals)
	}
	// go-junit sums the testcases' times: the probes' 0.5 s and 20 s.
	if s.Totals.Duration.Seconds() != 20.5 {
		t.Errorf("testcases took %v in total, want 20.5s", s.Totals.Duration)
	}
}

// TestJUnitErroredRunIsNotGreen: a run that errored while every probe
// passed still fails in CI, through its verdict testcase.
func TestJUnitErroredRunIsNotGreen(t *testing.T) {
	r := sampleRun()
	r.Result.Verdict = "Errored"
	r.Result.Reasons = []string{"inject of kill-checkout into pid/4242 failed: permission denied"}
	r.Result.Probes, r.Result.Load, r.Result.Faults = nil, nil, nil
	var b bytes.Buffer
	if err := JUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	suites, err := junit.Ingest(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	tc := suites[0].Tests[0]
	if tc.Name != "verdict" || tc.Status != junit.StatusError || !strings.Contains(tc.Error.Error(), "permission denied") {
		t.Fatalf("verdict testcase %+v", tc)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
