package integration

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// TestMetricsAfter100Experiments runs 100 short experiments (10 specs, 10
// runs each, the specs in parallel), each with a fault, two probes and
// load, on a `tempest worker --metrics-addr`; it checks that the number
// of Tempest's series does not grow from the 50th run to the 100th (every
// label is bounded) and logs the series count and the time a scrape of /metrics
// takes (the README's figures).
func TestMetricsAfter100Experiments(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-metrics-scale"
	addr := metricsWorker(t, tempestBin, e, queue)

	const specs, runsEach = 10, 10
	targets := make([]target, specs)
	for i := range targets {
		targets[i] = startTarget(t, targetBin)
	}
	runRound := func(rounds int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan string, specs*rounds)
		for i, tg := range targets {
			wg.Go(func() {
				for range rounds {
					_, res := e.runToEnd(t, decode(t, scaleSpec(i, tg)), queue, 2*time.Minute)
					if res.Verdict == experiment.VerdictErrored {
						errs <- fmt.Sprintf("spec %d: %v", i, res.Reasons)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
	waitClosed := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for closedRuns(t, addr) < n {
			if time.Now().After(deadline) {
				t.Fatalf("the worker counted %d closed runs, want %d", closedRuns(t, addr), n)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	start := time.Now()
	runRound(runsEach / 2)
	waitClosed(specs * runsEach / 2)
	_, halfBody := scrape(t, addr)
	runRound(runsEach / 2)
	waitClosed(specs * runsEach)
	t.Logf("%d experiments in %v", specs*runsEach, time.Since(start).Round(time.Second))

	full, body := scrape(t, addr)
	var took []time.Duration
	for range 20 {
		s := time.Now()
		scrape(t, addr)
		took = append(took, time.Since(s))
	}
	slices.Sort(took)
	t.Logf("/metrics after %d experiments: %d series (%d Tempest's, %d the Temporal SDK's), %d bytes; scrape median %v, max %v",
		specs*runsEach, full, countSeries(body, "tempest_"), countSeries(body, "temporal_"), len(body), took[len(took)/2], took[len(took)-1])
	// Tempest's series only: the SDK may add one the first time something
	// fails (temporal_request_failure_total{operation=...}), bounded too.
	if half, full := countSeries(halfBody, "tempest_"), countSeries(body, "tempest_"); full != half {
		t.Errorf("%d Tempest series after %d experiments, %d after %d: a label is not bounded", half, specs*runsEach/2, full, specs*runsEach)
	}
	if took[len(took)/2] > 250*time.Millisecond {
		t.Errorf("a scrape takes %v (median)", took[len(took)/2])
	}
}

// scaleSpec is spec i of TestMetricsAfter100Experiments: a 300 ms pause
// of its own target, an SOT and a Continuous probe, and 1 s of load.
func scaleSpec(i int, tg target) string {
	return fmt.Sprintf(`kind: Experiment
metadata: {name: scale-%d}
spec:
  faults:
    - name: pause
      duration: 300ms
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: up-before-%d
      mode: SOT
      http: {url: "http://%s/healthz"}
    - name: up-during-%d
      mode: Continuous
      interval: 100ms
      timeout: 200ms
      minSuccessPercent: 1
      http: {url: "http://%s/healthz"}
  load:
    rate: 20/s
    duration: 1s
    timeout: 200ms
    targets:
      - url: http://%s/
`, i, tg.port, i, tg.addr, i, tg.addr, tg.addr)
}

// scrape reads /metrics: its number of series and its text.
func scrape(t *testing.T, addr string) (int, string) {
	t.Helper()
	body := get(t, "http://"+addr+"/metrics")
	return countSeries(body, ""), body
}

// countSeries counts the sample lines whose name starts with prefix.
func countSeries(body, prefix string) int {
	n := 0
	for _, line := range strings.Split(body, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
}

// closedRuns is the worker's count of closed experiment runs.
func closedRuns(t *testing.T, addr string) int {
	t.Helper()
	_, body := scrape(t, addr)
	n := 0.0
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "tempest_experiments_total{") {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
				n += v
			}
		}
	}
	return int(n)
}
