package load

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tempest-chaos/tempest/experiment"
)

// TimelineFunc reads what the run's faults actually did so far. It must
// return when ctx is done.
type TimelineFunc func(ctx context.Context) (experiment.Timeline, error)

// Attribution by the timeline (Options.Timeline):
const (
	// timelineEvery is how often the timeline is read while the load runs.
	timelineEvery = 300 * time.Millisecond
	// timelineStale: a timeline not read for this long (from the start of
	// the run, or from its last successful read) is given up on: waiting
	// results are attributed by the planned windows until a read succeeds.
	timelineStale = 30 * time.Second
	// maxWait: a result still unsettled this long after it was sent is
	// attributed at once (see settler.guess).
	maxWait = 30 * time.Second
	// maxPending caps the results waiting for the timeline (24 bytes each);
	// past it the oldest are attributed at once.
	maxPending = 1 << 20
	// settleWait bounds how long a finished load waits for the timeline to
	// settle the send times of its last requests.
	settleWait = 5 * time.Second
)

// pending is one completed request whose send time the timeline has not
// settled yet: what Stats needs of it, in 24 bytes without pointers.
type pending struct {
	sent    int64 // Unix nanoseconds
	latency time.Duration
	code    uint16
	kind    uint8 // errorKinds index; 0: success
}

// Error kinds of a failed request (see errorKind); index 0 is success and 1
// a status outside 200-399, named from the code.
var errorKinds = [...]string{"", "status", "canceled", "timeout", "connection refused", "connection reset", "eof", "other"}

const kindStatus = 1

// pendingOf keeps what Stats needs of r.
func pendingOf(r *vegeta.Result) pending {
	p := pending{sent: r.Timestamp.UnixNano(), latency: r.Latency, code: r.Code}
	switch {
	case r.Error == "":
	case r.Code != 0:
		p.kind = kindStatus
	default:
		p.kind = transportKind(r.Error)
	}
	return p
}

// phaseClock is an immutable snapshot of a timeline compiled for the hot
// path: the phase of a send time in two comparisons, with experiment's
// Timeline.PhaseAt rule.
type phaseClock struct {
	timeline experiment.Timeline
	// finalBefore: the phase of a send time before it is final.
	finalBefore int64
	hasFirst    bool
	first       int64
	// end is the last revert; math.MaxInt64 while chaos has no end yet.
	end int64
}

func newPhaseClock(tl experiment.Timeline) *phaseClock {
	c := &phaseClock{timeline: tl, finalBefore: math.MinInt64, end: math.MaxInt64}
	if until, all := tl.FinalBefore(); all {
		c.finalBefore = math.MaxInt64
	} else if !until.IsZero() {
		c.finalBefore = until.UnixNano()
	}
	if !tl.First.IsZero() {
		c.hasFirst, c.first = true, tl.First.UnixNano()
	}
	if end, ok := tl.ChaosEnd(); ok {
		c.end = end.UnixNano()
	}
	return c
}

// phase names the phase of a request sent at t (Unix nanoseconds) and
// whether it is final.
func (c *phaseClock) phase(t int64) (string, bool) {
	final := t < c.finalBefore
	switch {
	case !c.hasFirst || t < c.first:
		return PhaseBaseline, final
	case t >= c.end:
		return PhaseRecovery, final
	}
	return PhaseChaos, final
}

// settler attributes the results of a run with a timeline. The engine's
// workers attribute a result at once when the latest snapshot (clock) says
// its send time is final, and otherwise keep it in their shard's pending
// list; the run's loop moves those here and folds them into their phase as
// the timeline settles (fold), or by a guess when it takes too long.
type settler struct {
	read    TimelineFunc
	planned []Window
	clock   atomic.Pointer[phaseClock]
	// lastRead is when the timeline was last read (Unix nanoseconds; the
	// start of the run before the first read).
	lastRead atomic.Int64
	// failures counts failed reads.
	failures atomic.Int64
	// waiting are results whose phase is not final yet, at most limit
	// (maxPending) after each fold.
	waiting []pending
	limit   int
}

func newSettler(read TimelineFunc, planned []Window) *settler {
	s := &settler{read: read, planned: planned, limit: maxPending}
	s.lastRead.Store(time.Now().UnixNano())
	return s
}

// poll reads the timeline every timelineEvery until ctx is done.
func (s *settler) poll(ctx context.Context) {
	t := time.NewTicker(timelineEvery)
	defer t.Stop()
	for {
		s.readOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *settler) readOnce(ctx context.Context) {
	tl, err := s.read(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.failures.Add(1)
		}
		return
	}
	s.clock.Store(newPhaseClock(tl))
	s.lastRead.Store(time.Now().UnixNano())
}

// stale reports whether the timeline has not been read for timelineStale.
func (s *settler) stale(now time.Time) bool {
	return now.Sub(time.Unix(0, s.lastRead.Load())) > timelineStale
}

// fold adds every waiting result whose phase is now final to p. With
// force, or for results waiting too long or past maxPending, it guesses.
func (s *settler) fold(p *Progress, now time.Time, force bool) {
	c := s.clock.Load()
	keep := s.waiting[:0]
	oldest := int64(math.MaxInt64)
	for i := range s.waiting {
		r := &s.waiting[i]
		if c != nil {
			if phase, final := c.phase(r.sent); final {
				p.stats(phase).addPending(r)
				continue
			}
		}
		keep = append(keep, *r)
		oldest = min(oldest, r.sent)
	}
	s.waiting = keep
	if len(s.waiting) == 0 {
		return
	}
	stale := s.stale(now)
	if force || stale {
		s.guess(p, s.waiting, c, stale)
		s.waiting = s.waiting[:0]
		return
	}
	old := now.Add(-maxWait).UnixNano()
	if oldest >= old && len(s.waiting) <= s.limit {
		return
	}
	// The oldest first: too old, or past the cap.
	slices.SortFunc(s.waiting, func(a, b pending) int { return cmp.Compare(a.sent, b.sent) })
	n := 0
	for n < len(s.waiting) && (s.waiting[n].sent < old || len(s.waiting)-n > s.limit) {
		n++
	}
	if n > 0 {
		s.guess(p, s.waiting[:n], c, false)
		s.waiting = append(s.waiting[:0], s.waiting[n:]...)
	}
}

// guess attributes rs before their phase is final: by the latest timeline
// while it is being read (provisional: an injection in place counts as
// chaos), else by the planned windows. Both are counted in p.
func (s *settler) guess(p *Progress, rs []pending, c *phaseClock, stale bool) {
	for i := range rs {
		r := &rs[i]
		var phase string
		if c != nil && !stale {
			phase, _ = c.phase(r.sent)
			p.Provisional++
		} else {
			phase = phaseOf(s.planned, time.Unix(0, r.sent))
			p.ByPlan++
		}
		p.stats(phase).addPending(r)
	}
}

// unsettled aggregates the waiting results by planned phase, for a
// heartbeat (see Progress.Unsettled).
func (s *settler) unsettled() []PhaseStats {
	if len(s.waiting) == 0 {
		return nil
	}
	var p Progress
	for i := range s.waiting {
		p.stats(phaseOf(s.planned, time.Unix(0, s.waiting[i].sent))).addPending(&s.waiting[i])
	}
	return p.Phases
}

// settle waits up to settleWait, folding, until nothing waits or ctx is
// done; the poller keeps reading the timeline meanwhile.
func (s *settler) settle(ctx context.Context, p *Progress, drain func(*Progress)) {
	deadline := time.Now().Add(settleWait)
	for {
		drain(p)
		s.fold(p, time.Now(), false)
		if len(s.waiting) == 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			return
		}
		if sleepUntil(ctx, time.Now().Add(timelineEvery/3)) != nil {
			return
		}
	}
}
