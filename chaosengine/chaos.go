package chaosengine

import (
	"context"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/tempest-chaos/tempest/starter"
)

// The chaos actions, as counted in the report.
const (
	ActWorkerKill    = "worker-kill"
	ActServerRestart = "server-restart"
	ActCutBlackhole  = "network-cut-blackhole"
	ActCutReset      = "network-cut-reset"
	ActFreeze        = "worker-freeze"
	ActAbort         = "abort"
	ActTerminate     = "terminate"
	ActUpgrade       = "worker-upgrade"
)

// chaos plays every action of the config once, shuffled, at random
// moments, one after the other.
func (h *harness) chaos(ctx context.Context) {
	var plan []string
	add := func(kind string, n int) {
		for range n {
			plan = append(plan, kind)
		}
	}
	add(ActWorkerKill, h.cfg.WorkerKills)
	add(ActServerRestart, h.cfg.ServerRestarts)
	add("network-cut", h.cfg.NetworkCuts)
	add(ActFreeze, h.cfg.Freezes)
	add(ActAbort, h.cfg.Aborts)
	add(ActTerminate, h.cfg.Terminates)
	add(ActUpgrade, h.cfg.Upgrades)
	h.rngMu.Lock()
	h.rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	h.rngMu.Unlock()
	h.logf("seed %d; chaos plan of %d actions: %s", h.cfg.Seed, len(plan), strings.Join(plan, ","))
	// Let the first experiments get going.
	sleep(ctx, 5*time.Second)
	for i, act := range plan {
		if ctx.Err() != nil {
			return
		}
		sleep(ctx, h.between(h.cfg.GapMin, h.cfg.GapMax))
		h.logf("action %d/%d", i+1, len(plan))
		switch act {
		case ActWorkerKill:
			h.killWorker(ctx)
		case ActServerRestart:
			h.restartServer(ctx)
		case "network-cut":
			h.cutNetwork(ctx)
		case ActFreeze:
			h.freezeWorker(ctx)
		case ActAbort:
			h.abortOne(ctx)
		case ActTerminate:
			h.terminateOne(ctx)
		case ActUpgrade:
			h.upgrade(ctx)
		}
	}
	// Give the last action's effects time to play out in running experiments.
	sleep(ctx, 10*time.Second)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (h *harness) pickWorker() *workerProc {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.workers) == 0 {
		return nil
	}
	h.rngMu.Lock()
	i := h.rng.IntN(len(h.workers))
	h.rngMu.Unlock()
	return h.workers[i]
}

func (h *harness) dropWorker(w *workerProc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, x := range h.workers {
		if x == w {
			h.workers = append(h.workers[:i], h.workers[i+1:]...)
			return
		}
	}
}

// killDoneAsKilled counts, in Report.Unmeasured, the activities found done
// sooner after a kill than any retry could run: the killed worker's own
// attempt had completed.
const killDoneAsKilled = "worker-kill-done-as-killed"

// pendingOn is an activity a worker was running when it was killed.
type pendingOn struct {
	wfID, runID, activityID, activityType string
	attempt                               int32 // the attempt the worker ran
}

// runningWorkflows lists the open experiments and their open children.
func (h *harness) runningWorkflows(ctx context.Context) [][2]string {
	h.mu.Lock()
	var out [][2]string
	for _, a := range h.running {
		out = append(out, [2]string{a.rec.ID, a.rec.RunID})
	}
	h.mu.Unlock()
	var children [][2]string
	for _, wf := range out {
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		d, err := h.c.DescribeWorkflowExecution(dctx, wf[0], wf[1])
		cancel()
		if err != nil {
			continue
		}
		for _, ch := range d.GetPendingChildren() {
			children = append(children, [2]string{ch.GetWorkflowId(), ch.GetRunId()})
		}
	}
	return append(out, children...)
}

// activitiesOn lists the started activities whose last worker is identity.
func (h *harness) activitiesOn(ctx context.Context, identity string) []pendingOn {
	var out []pendingOn
	for _, wf := range h.runningWorkflows(ctx) {
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		d, err := h.c.DescribeWorkflowExecution(dctx, wf[0], wf[1])
		cancel()
		if err != nil {
			continue
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED && strings.HasPrefix(pa.GetLastWorkerIdentity(), identity) {
				out = append(out, pendingOn{wf[0], wf[1], pa.GetActivityId(), pa.GetActivityType().GetName(), pa.GetAttempt()})
			}
		}
	}
	return out
}

// killWorker kills -9 a worker and starts a new one; it measures, for each
// activity the dead worker was running, the time until another worker
// runs it (a new attempt started elsewhere) or it is done.
func (h *harness) killWorker(ctx context.Context) {
	w := h.pickWorker()
	if w == nil {
		return
	}
	inflight := h.activitiesOn(ctx, w.identity())
	killed := time.Now()
	w.kill9()
	h.dropWorker(w)
	var names []string
	for _, p := range inflight {
		names = append(names, p.wfID+"/"+p.activityType)
	}
	h.action(ActWorkerKill, "worker-%d pid %d (%s), in flight: %v", w.id, w.pid(), w.build, names)
	if _, err := h.startWorker(); err != nil {
		h.globalf("could not start a replacement worker: %v", err)
	}
	h.mu.Lock()
	h.kills = append(h.kills, killed.Sub(h.start))
	if len(inflight) == 0 {
		h.unmeasured[ActWorkerKill]++
	}
	for _, p := range inflight {
		h.killedDuring[p.activityType]++
	}
	h.mu.Unlock()
	for _, p := range inflight {
		h.measures.Add(1)
		go func() {
			defer h.measures.Done()
			if m, ok := h.waitProgress(ctx, p, w.identity(), killed); ok {
				h.mu.Lock()
				h.kill2prog = append(h.kill2prog, m.D)
				h.killMeasures = append(h.killMeasures, m)
				h.mu.Unlock()
				h.logf("progress after the kill of worker-%d: %s %s in %s (attempt %d ran attempt %d after a %s retry interval; %d attempt(s) lost, %d of them to the dead worker)",
					w.id, p.wfID, p.activityType, m.D.Round(time.Millisecond), m.Attempt, m.RanAttempt, m.Backoff, m.Lost, m.ToDead)
			}
		}()
	}
}

// waitProgress polls the activity until an attempt of it runs on another
// worker, or it is gone (done, or its workflow closed). An attempt started
// on another worker counts once it is seen running there (a heartbeat
// after its start) or it is done: an attempt started but never run (handed
// to a poll the network cut holds, or to the dead worker's own poll) is
// counted as lost, and the wait goes on for the next one. The figure is
// the kill to the start of the attempt that ran.
func (h *harness) waitProgress(ctx context.Context, p pendingOn, dead string, killed time.Time) (Measure, bool) {
	m := Measure{At: killed.Sub(h.start).Round(time.Millisecond), Activity: p.activityType, Attempt: p.attempt}
	var cand time.Time // start of an attempt on another worker, not yet seen running
	var candAttempt int32
	seen := map[int32]bool{} // attempts seen started after the kill
	deadline := killed.Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		d, err := h.c.DescribeWorkflowExecution(dctx, p.wfID, p.runID)
		cancel()
		now := time.Now()
		if err != nil {
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if !cand.IsZero() { // started elsewhere; it may have run
				m.D, m.RanAttempt, m.Backoff = cand.Sub(killed), candAttempt, retryInterval(candAttempt)
				return m, true
			}
			return m, false // closed (aborted, terminated): not a measure of failover
		}
		var pa *workflowpb.PendingActivityInfo
		for _, x := range d.GetPendingActivities() {
			if x.GetActivityId() == p.activityID {
				pa = x
			}
		}
		if pa == nil { // done
			if cand.IsZero() && now.Sub(killed) < retryInterval(p.attempt+1) {
				// Sooner than any retry: the killed worker's own attempt
				// completed as it died. Not a failover.
				h.mu.Lock()
				h.unmeasured[killDoneAsKilled]++
				h.mu.Unlock()
				return m, false
			}
			if !cand.IsZero() {
				m.D, m.RanAttempt, m.Backoff = cand.Sub(killed), candAttempt, retryInterval(candAttempt)
			} else {
				m.D = now.Sub(killed)
			}
			return m, true
		}
		started := pa.GetLastStartedTime().AsTime()
		if !cand.IsZero() && pa.GetAttempt() > candAttempt { // that attempt never ran
			m.Lost++
			cand = time.Time{}
		}
		if pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED && started.After(killed) && !seen[pa.GetAttempt()] {
			seen[pa.GetAttempt()] = true
			if strings.HasPrefix(pa.GetLastWorkerIdentity(), dead) {
				m.Lost++
				m.ToDead++
			} else {
				cand, candAttempt = started, pa.GetAttempt()
			}
		}
		if !cand.IsZero() && pa.GetLastHeartbeatTime().AsTime().After(cand) {
			m.D, m.RanAttempt, m.Backoff = cand.Sub(killed), candAttempt, retryInterval(candAttempt)
			return m, true
		}
		sleep(ctx, 100*time.Millisecond)
	}
	h.globalf("no progress within 3m of a worker kill: %s %s", p.wfID, p.activityType)
	return m, false
}

// retryInterval is the wait before attempt n of an activity under the
// engine's retry policy (workflows/options.go: 1 s, doubling, at most
// 30 s). The server's own figure (PendingActivityInfo's
// CurrentRetryInterval) is not set after a heartbeat timeout.
func retryInterval(n int32) time.Duration {
	if n < 2 {
		return 0
	}
	d := time.Second
	for i := int32(2); i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// restartServer kills -9 the Temporal server and starts it again on the
// same SQLite file and port.
func (h *harness) restartServer(ctx context.Context) {
	old := h.server.current()
	killed := time.Now()
	old.kill9()
	down := h.between(500*time.Millisecond, 3*time.Second)
	sleep(ctx, down)
	if err := h.server.start(ctx); err != nil {
		h.globalf("server did not come back: %v", err)
		h.action(ActServerRestart, "pid %d killed; restart FAILED: %v", old.pid(), err)
		return
	}
	d := time.Since(killed)
	h.mu.Lock()
	h.downtime = append(h.downtime, d)
	h.outages = append(h.outages, Outage{Kind: ActServerRestart, From: killed.Sub(h.start), To: time.Since(h.start)})
	h.mu.Unlock()
	h.action(ActServerRestart, "pid %d killed, down %s, pid %d serving after %s", old.pid(), down.Round(time.Millisecond), h.server.current().pid(), d.Round(time.Millisecond))
}

// cutNetwork blackholes or resets the workers' connections for a while.
func (h *harness) cutNetwork(ctx context.Context) {
	mode, kind := ProxyBlackhole, ActCutBlackhole
	if h.intn(2) == 1 {
		mode, kind = ProxyReset, ActCutReset
	}
	d := h.between(h.cfg.CutMin, h.cfg.CutMax)
	h.action(kind, "for %s", d.Round(time.Millisecond))
	from := time.Since(h.start)
	h.proxy.SetMode(mode)
	sleep(ctx, d)
	h.proxy.SetMode(ProxyPass)
	h.mu.Lock()
	h.outages = append(h.outages, Outage{Kind: kind, From: from, To: time.Since(h.start)})
	h.mu.Unlock()
	h.logf("network restored")
}

// freezeWorker SIGSTOPs a worker for a while, then SIGCONTs it: the worker
// seen running an Inject (or a Revert), if one is seen within 20 s, else a
// random one.
func (h *harness) freezeWorker(ctx context.Context) {
	w, caught := h.workerInInject(ctx, 20*time.Second)
	if w == nil {
		w = h.pickWorker()
	}
	if w == nil {
		return
	}
	if caught != "" {
		h.mu.Lock()
		h.counts["worker-freeze-in-"+caught]++
		h.mu.Unlock()
	}
	d := h.between(h.cfg.FreezeMin, h.cfg.FreezeMax)
	inflight := h.activitiesOn(ctx, w.identity())
	var names []string
	for _, p := range inflight {
		names = append(names, p.wfID+"/"+p.activityType)
	}
	from := time.Since(h.start)
	_ = syscall.Kill(w.pid(), syscall.SIGSTOP)
	h.action(ActFreeze, "worker-%d pid %d for %s, in flight: %v", w.id, w.pid(), d.Round(time.Millisecond), names)
	sleep(context.WithoutCancel(ctx), d)
	_ = syscall.Kill(w.pid(), syscall.SIGCONT)
	h.mu.Lock()
	h.outages = append(h.outages, Outage{Kind: ActFreeze, From: from, To: time.Since(h.start)})
	h.mu.Unlock()
}

// pickRunning picks a running experiment, preferring (for up to wait) one
// whose fault is in place now and whose revert restores the target.
func (h *harness) pickRunning(ctx context.Context, wait time.Duration) (*active, bool) {
	deadline := time.Now().Add(wait)
	for {
		h.mu.Lock()
		var all, faulted []*active
		for _, a := range h.running {
			all = append(all, a)
			if a.rec.Kind != KillNoRestart && a.tg.Faulted() {
				faulted = append(faulted, a)
			}
		}
		h.mu.Unlock()
		if len(faulted) > 0 {
			return faulted[h.intn(len(faulted))], true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if len(all) == 0 {
				return nil, false
			}
			return all[h.intn(len(all))], false
		}
		sleep(ctx, 50*time.Millisecond)
	}
}

// abortOne aborts a running experiment and measures, when its fault was in
// place, the time until the target's ledger shows it reverted.
func (h *harness) abortOne(ctx context.Context) {
	a, faulted := h.pickRunning(ctx, 15*time.Second)
	if a == nil {
		h.action(ActAbort, "no experiment running")
		return
	}
	// Marked before the call: the run may close, and be checked, before
	// the call returns.
	a.rec.mu.Lock()
	a.rec.Abort = "unknown"
	a.rec.mu.Unlock()
	sent := time.Now()
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err := starter.Attach(h.c, a.rec.ID, a.rec.RunID).Abort(actx, "chaosengine: abort")
	cancel()
	accepted := time.Since(sent)
	state := "accepted"
	if err != nil {
		state = "unknown"
		if strings.Contains(err.Error(), "workflow execution already completed") || strings.Contains(err.Error(), "not found") {
			state = "refused"
		}
	}
	a.rec.mu.Lock()
	a.rec.Abort = state
	a.rec.mu.Unlock()
	h.action(ActAbort, "%s (fault in place: %v): %s %v", a.rec.ID, faulted, state, err)
	if !faulted || state != "accepted" {
		h.mu.Lock()
		h.unmeasured[ActAbort]++
		h.mu.Unlock()
		return
	}
	h.measures.Add(1)
	go func() {
		defer h.measures.Done()
		deadline := sent.Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			for _, e := range a.tg.Events(sent) {
				if e.Kind == EvStart || e.Kind == EvContinue {
					d := e.At.Sub(sent)
					h.mu.Lock()
					h.abort2rev = append(h.abort2rev, d)
					h.abortMeas = append(h.abortMeas, AbortMeasure{ID: a.rec.ID, At: sent.Sub(h.start).Round(time.Millisecond),
						Accepted: accepted.Round(time.Millisecond), D: d})
					h.mu.Unlock()
					h.logf("abort of %s: fault reverted after %s (the abort call returned after %s)", a.rec.ID, d.Round(time.Millisecond), accepted.Round(time.Millisecond))
					return
				}
			}
			sleep(ctx, 20*time.Millisecond)
		}
		h.globalf("fault of %s not reverted within 2m of its abort", a.rec.ID)
	}()
}

// terminateOne terminates a running experiment (no rollback runs: the
// workers' watchdog must revert its faults).
func (h *harness) terminateOne(ctx context.Context) {
	a, faulted := h.pickRunning(ctx, 10*time.Second)
	if a == nil {
		h.action(ActTerminate, "no experiment running")
		return
	}
	// Marked before the call: the run may close, and be checked, before
	// the call returns.
	a.rec.mu.Lock()
	a.rec.Terminated = true
	a.rec.mu.Unlock()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := h.c.TerminateWorkflow(tctx, a.rec.ID, a.rec.RunID, "chaosengine: terminate")
	cancel()
	h.action(ActTerminate, "%s (fault in place: %v): %v", a.rec.ID, faulted, err)
}

// upgrade rolls every worker to the other build: the new ones start, then
// the old ones stop (SIGTERM), as a rolling deploy does.
func (h *harness) upgrade(ctx context.Context) {
	h.mu.Lock()
	old := append([]*workerProc(nil), h.workers...)
	if h.build == "v1" {
		h.build = "v2"
	} else {
		h.build = "v1"
	}
	build := h.build
	h.mu.Unlock()
	for range old {
		if _, err := h.startWorker(); err != nil {
			h.globalf("upgrade: %v", err)
		}
	}
	sleep(ctx, 2*time.Second)
	for _, w := range old {
		w.stop(15 * time.Second)
		h.dropWorker(w)
	}
	h.action(ActUpgrade, "%d worker(s) rolled to build %s", len(old), build)
}

// workerInInject polls the open runs for an Inject or Revert activity that
// a worker has started and returns that worker and the activity type.
func (h *harness) workerInInject(ctx context.Context, within time.Duration) (*workerProc, string) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for _, wf := range h.runningWorkflows(ctx) {
			dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			d, err := h.c.DescribeWorkflowExecution(dctx, wf[0], wf[1])
			cancel()
			if err != nil {
				continue
			}
			for _, pa := range d.GetPendingActivities() {
				typ := pa.GetActivityType().GetName()
				if pa.GetState() != enumspb.PENDING_ACTIVITY_STATE_STARTED || (typ != "Inject" && typ != "Revert") {
					continue
				}
				h.mu.Lock()
				for _, w := range h.workers {
					if strings.HasPrefix(pa.GetLastWorkerIdentity(), w.identity()) {
						h.mu.Unlock()
						return w, typ
					}
				}
				h.mu.Unlock()
			}
		}
		sleep(ctx, 10*time.Millisecond)
	}
	return nil, ""
}
