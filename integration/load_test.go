package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// TestLoadSplitsByPhase runs 100 req/s for 6 s against the target while a
// fault pauses it for 2 s in the middle: the chaos phase shows the failed
// requests, baseline and recovery do not, and the thresholds are judged.
func TestLoadSplitsByPhase(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-load")
	tg := startTarget(t, targetBin)
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: load-phases}
spec:
  faults:
    - name: pause-target
      startAfter: 2s
      duration: 2s
      process: {selector: {port: %d}, action: pause}
  load:
    rate: 100/s
    duration: 6s
    timeout: 500ms
    targets:
      - url: http://%s/
    thresholds:
      "http_req_failed{phase:baseline}": ["rate<0.01"]
      "http_req_failed{phase:chaos}": ["rate<0.01"]
      http_reqs: ["count>500"]
`, tg.port, tg.addr)
	_, res := e.runToEnd(t, decode(t, spec), "it-load", 2*time.Minute)

	if res.Load == nil {
		t.Fatalf("no load report; reasons %v", res.Reasons)
	}
	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed (the chaos-phase threshold fails); reasons %v", res.Verdict, res.Reasons)
	}
	if got := res.Load.Requests; got < 590 || got > 610 {
		t.Fatalf("%d requests, want 600 ±10", got)
	}
	phases := map[string]experiment.PhaseMetrics{}
	for _, p := range res.Load.Phases {
		phases[p.Phase] = p
	}
	if b := phases["baseline"]; b.Requests == 0 || b.SuccessRatio < 0.99 {
		t.Fatalf("baseline %+v, want requests that succeeded", b)
	}
	if c := phases["chaos"]; c.Requests == 0 || c.SuccessRatio > 0.5 {
		t.Fatalf("chaos %+v, want most requests failed while paused", c)
	}
	if r := phases["recovery"]; r.Requests == 0 || r.SuccessRatio < 0.9 {
		t.Fatalf("recovery %+v, want the target serving again", r)
	}
	judged := map[string]bool{}
	for _, th := range res.Load.Thresholds {
		judged[th.Metric] = th.Passed
	}
	if !judged["http_req_failed{phase:baseline}"] || judged["http_req_failed{phase:chaos}"] || !judged["http_reqs"] {
		t.Fatalf("thresholds %+v", res.Load.Thresholds)
	}
}
