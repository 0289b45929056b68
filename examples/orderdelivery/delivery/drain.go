package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GET /drain?within=120s&quiet=10s&late=1s tells a lost order from a late
// one. It waits, sampling the system every Options.DrainPoll, until the
// system has drained:
//
//   - no outbox entry is pending, the order queue holds no ready message
//     (its depth is known: an unreachable broker is not an empty queue) and
//     no message is being handled; and
//   - every order is delivered, or the above held and the undelivered
//     count did not change for `quiet` (counted from the request at the
//     earliest).
//
// Then it answers 200 with one line:
//
//	lost 0, late 2990 (delivered more than 1s after the last order, the last 48.2s after it); drained after 0.3s (undelivered 0, outbox 0, queue 0)
//
// lost: orders still undelivered once drained (nothing left in the system
// can deliver them). late: orders delivered more than `late` after the
// newest order was accepted, that is after the load stopped. A drained
// system can still deliver an order only by a redelivery nobody has
// scheduled, so lost is final.
//
// If the system has not drained within `within`, it answers 503:
//
//	not drained within 2m0s: undelivered 1777 (settled and unchanged for 0s), outbox 0, queue 312, in flight 16
//
// A probe that expects status 200 and a body matching `^lost 0,` passes
// exactly when no order is lost and the system drained within the bound;
// its timeout must exceed `within` by the time the last samples take.
const (
	defaultDrainWithin = 120 * time.Second
	defaultDrainQuiet  = 10 * time.Second
	defaultDrainLate   = time.Second
	maxDrainWithin     = 10 * time.Minute
)

type drainQuery struct {
	within, quiet, late time.Duration
}

func parseDrainQuery(v url.Values) (drainQuery, error) {
	q := drainQuery{within: defaultDrainWithin, quiet: defaultDrainQuiet, late: defaultDrainLate}
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{{"within", &q.within}, {"quiet", &q.quiet}, {"late", &q.late}} {
		s := v.Get(f.name)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return q, fmt.Errorf("%s=%q: want a duration >= 0 such as 10s", f.name, s)
		}
		*f.dst = d
	}
	if q.within <= 0 || q.within > maxDrainWithin {
		return q, fmt.Errorf("within=%s: want more than 0 and at most %s", q.within, maxDrainWithin)
	}
	if q.quiet > q.within {
		return q, fmt.Errorf("quiet=%s: want at most within (%s)", q.quiet, q.within)
	}
	return q, nil
}

// sample is one look at the system; a field not read, or whose query
// failed, is -1.
type sample struct {
	undelivered, pending int64
	queue                int
	inFlight             int64
	errs                 []error
}

// sample reads the system, cheapest first. Unless full, it stops at the
// first sign that something is still on its way (a message in hand, a
// queued message, a pending outbox entry), so a system busy draining is not
// also made to count its whole collection every poll.
func (s *Service) sample(ctx context.Context, full bool) sample {
	sm := sample{undelivered: -1, pending: -1, queue: -1, inFlight: s.inFlight.Load()}
	busy := func() bool { return !full && (sm.inFlight > 0 || len(sm.errs) > 0 || sm.queue > 0 || sm.pending > 0) }
	if busy() {
		return sm
	}
	var err error
	sm.queue = 0
	if s.opts.QueueDepth != nil {
		if sm.queue, err = s.opts.QueueDepth(ctx); err != nil {
			sm.queue = -1
			sm.errs = append(sm.errs, err)
		}
	}
	if busy() {
		return sm
	}
	if sm.pending, err = s.store.CountPending(ctx); err != nil {
		sm.pending = -1
		sm.errs = append(sm.errs, err)
	}
	if busy() {
		return sm
	}
	if sm.undelivered, err = s.store.CountUndelivered(ctx); err != nil {
		sm.undelivered = -1
		sm.errs = append(sm.errs, err)
	}
	return sm
}

// settled: nothing is on its way to the delivery service.
func (sm sample) settled() bool {
	return len(sm.errs) == 0 && sm.undelivered >= 0 && sm.pending == 0 && sm.queue == 0 && sm.inFlight == 0
}

func (s *Service) drain(w http.ResponseWriter, r *http.Request) {
	q, err := parseDrainQuery(r.URL.Query())
	if err != nil {
		http.Error(w, "drain: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	start := s.opts.Now()
	// changedAt is when the system was last seen unsettled or with another
	// undelivered count: the quiet period counts from there.
	changedAt := start
	var last sample
	for {
		sm := s.sample(ctx, false)
		now := s.opts.Now()
		if ctx.Err() != nil {
			return // the client is gone
		}
		if !sm.settled() || sm.undelivered != last.undelivered {
			changedAt = now
		}
		last = sm
		if sm.settled() && (sm.undelivered == 0 || now.Sub(changedAt) >= q.quiet) {
			s.writeDrained(w, r, q, sm, now.Sub(start), now.Sub(changedAt))
			return
		}
		if now.Sub(start) >= q.within {
			sm = s.sample(ctx, true)
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not drained within %s: undelivered %d (settled and unchanged for %s), outbox %d, queue %d, in flight %d%s\n",
				q.within, sm.undelivered, round(now.Sub(changedAt)), sm.pending, sm.queue, sm.inFlight, errSuffix(sm.errs))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.opts.DrainPoll):
		}
	}
}

// writeDrained reports lost and late orders of a drained system.
func (s *Service) writeDrained(w http.ResponseWriter, r *http.Request, q drainQuery, sm sample, waited, steady time.Duration) {
	ctx := r.Context()
	var late int64
	var lateness string
	accepted, ok, err := s.store.LastAccepted(ctx)
	if err == nil && ok {
		var lastDelivery time.Time
		late, lastDelivery, err = s.store.DeliveredAfter(ctx, accepted.Add(q.late))
		if late > 0 {
			lateness = fmt.Sprintf(", the last %s after it", round(lastDelivery.Sub(accepted)))
		}
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.logger.Warn("drain report failed", "err", err)
		}
		http.Error(w, "drained, but the late orders could not be counted: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	unchanged := ""
	if sm.undelivered > 0 {
		unchanged = fmt.Sprintf(" unchanged for %s", round(steady))
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "lost %d, late %d (delivered more than %s after the last order%s); drained after %s (undelivered %d%s, outbox %d, queue %d)\n",
		sm.undelivered, late, q.late, lateness, round(waited), sm.undelivered, unchanged, sm.pending, sm.queue)
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

func errSuffix(errs []error) string {
	if len(errs) == 0 {
		return ""
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return "; " + strings.Join(msgs, "; ")
}
