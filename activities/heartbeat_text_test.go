package activities

import (
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"

	"github.com/tempest-chaos/tempest/experiment"
)

// A probe at 81% with a 60% threshold reads as passing, whatever the
// per-observation "passed" of its last one, and the words ride beside the
// details a retry resumes from without changing them.
func TestHeartbeatDetailsReadAsWords(t *testing.T) {
	p := experiment.Probe{Name: "serving", Mode: experiment.ModeContinuous, MinSuccessPercent: 60}
	w := WatchResult{Result: experiment.ProbeResult{Name: "serving", Observations: 42, Failures: 8,
		Last: &experiment.Observation{Passed: false, Detail: "timeout after 1s"}}}
	got := sayWatch(p)(w)
	want := "probe serving (Continuous): 34 of 42 observations passed (81%; needs 60%): passing so far; last failure: timeout after 1s"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	w.Result.Failures = 20
	if got := sayWatch(p)(w); !strings.Contains(got, "22 of 42 observations passed (52.4%; needs 60%): failing so far") {
		t.Fatalf("got %q", got)
	}

	payloads, err := converter.GetDefaultDataConverter().ToPayloads(w, sayWatch(p)(w))
	if err != nil {
		t.Fatal(err)
	}
	var resumed WatchResult
	if err := converter.GetDefaultDataConverter().FromPayloads(payloads, &resumed); err != nil {
		t.Fatal(err)
	}
	if resumed.Result.Observations != 42 || resumed.Result.Failures != 20 {
		t.Fatalf("resumed from %+v", resumed.Result)
	}

	c := experiment.Probe{Name: "after", Mode: experiment.ModeEOT, Retries: 6}
	r := experiment.ProbeResult{Observations: 3, Failures: 3, Last: &experiment.Observation{Detail: "connection refused"}}
	if got := sayCheck(c)(r); got != "probe after (EOT): attempt 3 of 7 failed: connection refused" {
		t.Fatalf("got %q", got)
	}
}
