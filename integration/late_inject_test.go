package integration

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// TestLateInjectHoldsAndPhasesFromWhatHappened freezes the worker of the
// fault's host just before the planned inject, so the inject lands about 4 s
// late. The fault is still held for its full hold from the moment it took
// effect, the load's chaos phase holds only requests sent while the target
// was paused (the planned window would have counted 4 s of successes), and
// the OnChaos probe observes only while the fault is in place.
func TestLateInjectHoldsAndPhasesFromWhatHappened(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-late"
	hostWorker(t, tempestBin, e, queue, "host-a", true)
	pidB := hostWorker(t, tempestBin, e, queue, "host-b", false)
	tg := startTarget(t, targetBin)
	const hold = 4 * time.Second
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: late-inject}
spec:
  faults:
    - name: pause-target
      host: host-b
      startAfter: 4s
      duration: %s
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: down-while-paused
      mode: OnChaos
      interval: 300ms
      timeout: 500ms
      minSuccessPercent: 0
      http: {url: "http://%s/healthz"}
  load:
    rate: 40/s
    duration: 20s
    timeout: 500ms
    targets:
      - url: http://%s/
`, hold, tg.port, tg.addr, tg.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, e.c, decode(t, spec), starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	// Freeze host B once its selection is done, before the planned inject.
	waitFor(t, time.Minute, "the chaos window", func() bool {
		st, err := run.Status(ctx)
		return err == nil && st.Phase == experiment.PhaseChaos
	})
	if err := syscall.Kill(pidB, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(8 * time.Second) // 4 s past the planned inject
	if err := syscall.Kill(pidB, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	res, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict == experiment.VerdictErrored || res.Verdict == experiment.VerdictAborted {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	held := res.Faults[0].Held
	if len(held) != 1 || held[0].Held < hold {
		t.Fatalf("held %+v, want one injection held at least its %s hold", held, hold)
	}
	late := held[0].At.Sub(res.StartedAt)
	t.Logf("inject took effect %s after the start, held %s", late, held[0].Held)
	phases := map[string]experiment.PhaseMetrics{}
	for _, p := range res.Load.Phases {
		phases[p.Phase] = p
	}
	chaos, base := phases["chaos"], phases["baseline"]
	t.Logf("baseline %d req %.2f ok; chaos %d req %.2f ok", base.Requests, base.SuccessRatio, chaos.Requests, chaos.SuccessRatio)
	// Requests sent in the pause's last 500 ms (the load's timeout) are
	// answered once it is reverted: about 20 of some 160. The planned
	// window would have added 4 s of successes (about half).
	if chaos.Requests == 0 || chaos.SuccessRatio > 0.35 {
		t.Fatalf("chaos phase %+v: want only requests sent while the target was paused (nearly all failed)", chaos)
	}
	if base.Requests == 0 || base.SuccessRatio < 0.9 {
		t.Fatalf("baseline %+v: want the requests before the late inject, served", base)
	}
	for _, p := range res.Probes {
		if p.Name == "down-while-paused" && (p.Observations == 0 || p.SuccessPercent > 20) {
			t.Fatalf("OnChaos probe %+v: want observations only while paused (failed)", p)
		}
	}
}
