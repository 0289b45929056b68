package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// latencySpec adds latency to the target's responses through the
// transparent proxy while load runs: baseline, chaos and recovery each
// about 8 s. Each request opens its own connection (keepAlive: false), as
// only connections opened after the inject go through the proxy. The
// same p99 threshold judges each phase.
func latencySpec(tg target, latency time.Duration) string {
	return fmt.Sprintf(`kind: Experiment
metadata:
  name: slow-dependency
spec:
  hypothesis: requests to the dependency stay under 300 ms at p99
  faults:
    - name: slow-dependency
      startAfter: 8s
      duration: 8s
      network:
        action: proxy
        proxy:
          dependency: "%s"
          toxics:
            - {type: latency, latency: %s}
  load:
    rate: 20/s
    duration: 24s
    timeout: 5s
    keepAlive: false
    targets:
      - url: http://%s/healthz
    thresholds:
      "http_req_duration{phase:baseline}": ["p(99)<300ms"]
      "http_req_duration{phase:chaos}": ["p(99)<300ms"]
      "http_req_duration{phase:recovery}": ["p(99)<300ms"]
  probes:
    - name: serving-after
      mode: EOT
      interval: 500ms
      timeout: 2s
      retries: 6
      http: {url: "http://%s/healthz"}
`, tg.addr, latency, tg.addr, tg.addr)
}

// Issue #13's acceptance: 300 ms added to a dependency's traffic under
// load breaches a p99 threshold in the chaos phase and not in baseline
// or recovery; the application dials the dependency's own address (the
// proxy is transparent), and nothing is left once the run ends.
func TestProxyLatencyBreachesOnlyTheChaosPhase(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-proxy")
	tg := startTarget(t, targetBin)

	run, res := e.runToEnd(t, decode(t, latencySpec(tg, 300*time.Millisecond)), "it-proxy", 3*time.Minute)
	if res.Load == nil {
		t.Fatalf("no load report; verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	byPhase := map[string]experiment.ThresholdResult{}
	for _, th := range res.Load.Thresholds {
		_, tag, _ := strings.Cut(th.Metric, "{phase:")
		byPhase[strings.TrimSuffix(tag, "}")] = th
	}
	for phase, wantPass := range map[string]bool{"baseline": true, "chaos": false, "recovery": true} {
		th, ok := byPhase[phase]
		if !ok {
			t.Fatalf("no %s threshold in %+v", phase, res.Load.Thresholds)
		}
		if th.Passed != wantPass {
			t.Errorf("%s: %s %s passed=%v (measured %s), want passed=%v", phase, th.Metric, th.Expression, th.Passed, th.Value, wantPass)
		}
	}
	for _, p := range res.Load.Phases {
		t.Logf("phase %s: %d requests, %d ok", p.Phase, p.Requests, p.Successes)
	}
	if res.Verdict != experiment.VerdictFailed {
		t.Errorf("verdict %s, want Failed (the chaos threshold); reasons %v", res.Verdict, res.Reasons)
	}
	if f := res.Faults[0]; f.Injections != 1 || f.Reverts != 1 {
		t.Errorf("fault %+v, want 1 injection and 1 revert", f)
	}
	if left := leftBy(t, run.RunID); len(left) > 0 {
		t.Errorf("left behind by the run: %v", left)
	}
}
