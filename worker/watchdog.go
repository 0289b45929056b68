package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/fault"
)

// Defaults of Watchdog.
const (
	// DefaultWatchdogPeriod is how often a watchdog looks at its ledger.
	DefaultWatchdogPeriod = 5 * time.Second
	// DefaultWatchdogGrace is how long an ended run's own rollback has.
	DefaultWatchdogGrace = 2 * time.Second
)

// Watchdog is a worker's dead-man: every Period it reads the ledger of the
// injections this worker put in place and reverts each one whose run has
// ended (completed, failed, canceled, terminated, timed out, reset) or
// whose revert has begun (fenced), with the state its Inject recorded, then
// removes it from the ledger. So a terminated experiment, or one whose
// reverts were lost with a worker, leaves nothing behind. The injections of
// a run that is still running are left to its workflow, and so are those
// whose run Temporal does not know (another server's, in a shared state
// dir); `tempest cleanup --run` reverts those.
type Watchdog struct {
	Client client.Client
	// Acts gives the fault kinds, the ledger and the fences (NewActivities).
	Acts *activities.Activities
	// Period between sweeps; default DefaultWatchdogPeriod.
	Period time.Duration
	// Grace is how long after a run ended the watchdog leaves its faults
	// to the run's own rollback (a FaultWorkflow closed with its
	// experiment reverts its fault) before it reverts them; default
	// DefaultWatchdogGrace, negative: none. Racing that rollback would be
	// harmless (reverts are idempotent) but would blur which one acted.
	Grace time.Duration
	// RevertTimeout bounds one revert; default 2 minutes.
	RevertTimeout time.Duration
	// Logger; default slog.Default().
	Logger *slog.Logger

	mu    sync.Mutex
	retry map[string]backoff
}

type backoff struct {
	next  time.Time
	delay time.Duration
}

// Swept is what a sweep did with one ledger entry.
type Swept struct {
	Entry activities.LedgerEntry
	// Why it was reverted: the run's status or "fenced".
	Why string
	// Err is the revert's error; nil: reverted and removed from the ledger.
	Err error
}

// StartWatchdog runs a watchdog over acts' ledger until the returned stop
// is called; stop waits for a sweep in progress.
func StartWatchdog(c client.Client, acts *activities.Activities, period time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watchdog{Client: c, Acts: acts, Period: period}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// Run sweeps every Period until ctx is done.
func (w *Watchdog) Run(ctx context.Context) {
	period := w.Period
	if period <= 0 {
		period = DefaultWatchdogPeriod
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		for _, s := range w.Sweep(ctx) {
			if s.Err != nil {
				w.logger().Warn("watchdog: revert failed; retrying later", "run", s.Entry.Request.Run.RunID,
					"fault", s.Entry.Request.Fault.Name, "target", s.Entry.Request.Target.ID, "why", s.Why, "error", s.Err)
				continue
			}
			w.logger().Info("watchdog: cleared an injection of an ended run", "run", s.Entry.Request.Run.RunID,
				"fault", s.Entry.Request.Fault.Name, "target", s.Entry.Request.Target.ID, "why", s.Why)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep makes one pass over the ledger and returns what it reverted or
// tried to. Reverts that failed are retried by later sweeps, backing off
// up to 5 minutes. An ended injection whose target a running run's
// injection in the ledger still holds (a run reset, two experiments on one
// target) is fenced and dropped, not reverted: reverting it would undo the
// running one's fault, whose own revert (or this watchdog, once that run
// ends) restores the target.
func (w *Watchdog) Sweep(ctx context.Context) []Swept {
	if w.Acts == nil || w.Acts.Ledger == nil {
		return nil
	}
	entries, err := w.Acts.Ledger.Entries()
	if err != nil {
		w.logger().Warn("watchdog: reading the ledger", "error", err)
	}
	status := map[fault.Run]runState{} // one describe per run and sweep
	whys := make([]string, len(entries))
	held := map[string]fault.Run{}
	for i, e := range entries {
		if ctx.Err() != nil {
			return nil
		}
		why, live := w.judge(ctx, e, status)
		whys[i] = why
		if live {
			held[HeldKey(e.Request)] = e.Request.Run
		}
	}
	var out []Swept
	now := time.Now()
	for i, e := range entries {
		key := activities.InjectionKey(e.Request)
		if whys[i] == "" || ctx.Err() != nil || !w.due(key, now) {
			continue
		}
		if holder, ok := held[HeldKey(e.Request)]; ok {
			err := w.drop(ctx, e)
			out = append(out, Swept{Entry: e, Why: whys[i] + "; target held by running run " + holder.RunID + ", not reverted", Err: err})
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, w.revertTimeout())
		err := w.Acts.RevertRecorded(rctx, e)
		cancel()
		w.noteResult(key, err, now)
		out = append(out, Swept{Entry: e, Why: whys[i], Err: err})
	}
	return out
}

// HeldKey names the target of an injection across runs: its fault kind
// and target ID.
func HeldKey(req fault.Request) string { return string(req.Fault.Kind()) + "\x00" + req.Target.ID }

// drop fences an injection and removes it from the ledger without reverting it.
func (w *Watchdog) drop(ctx context.Context, e activities.LedgerEntry) error {
	if w.Acts.Fences != nil {
		if err := w.Acts.Fences.Fence(ctx, e.Request); err != nil {
			return err
		}
	}
	return w.Acts.Ledger.Remove(e.Request)
}

// runState is what a sweep learnt of a run: its status when it has
// ended, or whether it is running ("" and false: unknown).
type runState struct {
	ended   string
	endedAt time.Time
	running bool
}

// judge says why e must be reverted now ("" if not), and whether it is
// live: its run is running and its revert has not begun.
func (w *Watchdog) judge(ctx context.Context, e activities.LedgerEntry, status map[fault.Run]runState) (why string, live bool) {
	if w.Acts.Fences != nil {
		if ok, err := w.Acts.Fences.IsFenced(ctx, e.Request); err == nil && ok {
			return "fenced", false
		}
	}
	if w.Client == nil {
		return "", false
	}
	st, seen := status[e.Request.Run]
	if !seen {
		st = w.runState(ctx, e.Request.Run)
		status[e.Request.Run] = st
	}
	if st.ended != "" {
		if time.Since(st.endedAt) < w.grace() {
			return "", false // the run's own rollback may still be at work
		}
		return "run " + st.ended, false
	}
	return "", st.running
}

// runState asks Temporal about run; unknown to it, or unreachable, is
// neither ended nor running.
func (w *Watchdog) runState(ctx context.Context, run fault.Run) runState {
	st, err := activities.RunStatus(ctx, w.Client, run)
	if err != nil {
		if !errors.Is(err, activities.ErrRunNotFound) {
			w.logger().Debug("watchdog: asking Temporal about a run", "run", run.RunID, "error", err)
		}
		return runState{}
	}
	if st.Closed {
		return runState{ended: st.Status, endedAt: st.ClosedAt}
	}
	return runState{running: true}
}

func (w *Watchdog) due(key string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, ok := w.retry[key]
	return !ok || !now.Before(b.next)
}

func (w *Watchdog) noteResult(key string, err error, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		delete(w.retry, key)
		return
	}
	if w.retry == nil {
		w.retry = map[string]backoff{}
	}
	b := w.retry[key]
	b.delay = min(max(2*b.delay, 5*time.Second), 5*time.Minute)
	b.next = now.Add(b.delay)
	w.retry[key] = b
}

func (w *Watchdog) grace() time.Duration {
	if w.Grace == 0 {
		return DefaultWatchdogGrace
	}
	return w.Grace
}

func (w *Watchdog) revertTimeout() time.Duration {
	if w.RevertTimeout > 0 {
		return w.RevertTimeout
	}
	return 2 * time.Minute
}

func (w *Watchdog) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

// String names a sweep result for people.
func (s Swept) String() string {
	r := s.Entry.Request
	what := fmt.Sprintf("%s %q on %s (run %s, injection %d; %s)", r.Fault.Kind(), r.Fault.Name, r.Target.ID, r.Run.RunID, r.Injection, s.Why)
	if s.Err != nil {
		return what + ": " + s.Err.Error()
	}
	return what
}
