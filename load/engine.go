package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/valyala/fasthttp"
)

// initialWorkers is how many senders a run starts with; more are started,
// up to MaxInFlight, so that one is always free to take the next request.
const initialWorkers = 16

// engine sends the requests a vegeta.Pacer schedules. Unlike vegeta's
// attacker, which hands each tick to a worker and each result back over
// channels, every worker claims the next request number, sleeps until the
// pacer says it is due, sends it and records the result in its own shard:
// no hand-off per request, and the shards are drained about once a second.
type engine struct {
	pacer vegeta.Pacer
	// duration ends the run even if the pacer would go on (a pacer
	// running behind at an unreachable rate).
	duration time.Duration
	targeter targeter
	sender   *sender
	// phases split the results (see recordInto), unless settler is set:
	// then the run's timeline does (see record).
	phases     []Window
	settler    *settler
	maxWorkers int

	began   time.Time
	claimed atomic.Uint64
	workers atomic.Int64
	// busy counts workers with a request in flight.
	busy atomic.Int64
	wg   sync.WaitGroup

	mu     sync.Mutex
	shards []*shard
}

// shard is one worker's results since the last drain.
type shard struct {
	mu       sync.Mutex
	progress Progress
	// waiting are results whose phase the timeline has not settled yet.
	waiting []pending
}

// start launches the first workers; the run ends when every worker has
// returned (see done).
func (e *engine) start(ctx context.Context) {
	e.began = time.Now()
	for range min(initialWorkers, e.maxWorkers) {
		e.spawn(ctx)
	}
}

// done is closed when every worker has returned.
func (e *engine) done() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(ch)
	}()
	return ch
}

// spawn starts one more worker unless MaxInFlight are running.
func (e *engine) spawn(ctx context.Context) {
	if e.workers.Add(1) > int64(e.maxWorkers) {
		e.workers.Add(-1)
		return
	}
	sh := &shard{}
	e.mu.Lock()
	e.shards = append(e.shards, sh)
	e.mu.Unlock()
	e.wg.Add(1)
	go e.work(ctx, sh)
}

// work claims request numbers until the pacer stops or ctx is done.
func (e *engine) work(ctx context.Context, sh *shard) {
	defer e.wg.Done()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	var tgt vegeta.Target
	var res vegeta.Result // reused: one allocation per worker, not per request
	prepared := -1        // template of the constant request in req, if any
	for ctx.Err() == nil {
		hit := e.claimed.Add(1) - 1
		elapsed := time.Since(e.began)
		wait, stop := e.pacer.Pace(elapsed, hit)
		if stop || elapsed >= e.duration {
			return
		}
		if wait > 0 && sleepUntil(ctx, time.Now().Add(wait)) != nil {
			return
		}
		if e.busy.Add(1) >= e.workers.Load() {
			// No other worker is free to take the next request on time.
			e.spawn(ctx)
		}
		template, constant := e.targeter(&tgt)
		if !constant || template != prepared {
			e.sender.prepare(&tgt, req)
			prepared = -1
			if constant {
				prepared = template
			}
		}
		res = vegeta.Result{Timestamp: time.Now()}
		if e.sender.send(req, resp, &res) {
			prepared = -1 // a redirect rewrote req
		}
		e.busy.Add(-1)
		sh.mu.Lock()
		e.record(sh, &res, ctx.Err() != nil)
		sh.mu.Unlock()
	}
}

// record adds one result to sh (locked): by the planned windows, or with a
// timeline in its phase when the latest snapshot says its send time is
// final, else to the shard's waiting results.
func (e *engine) record(sh *shard, res *vegeta.Result, cancelled bool) {
	if e.settler == nil {
		recordInto(&sh.progress, e.phases, res, cancelled)
		return
	}
	if cancelled && res.Code == 0 && res.Error != "" {
		return
	}
	seriesAdd(&sh.progress.Series, res.Timestamp, res.Latency, res.Error != "")
	if c := e.settler.clock.Load(); c != nil {
		if phase, final := c.phase(res.Timestamp.UnixNano()); final {
			sh.progress.stats(phase).add(res)
			return
		}
	}
	sh.waiting = append(sh.waiting, pendingOf(res))
}

// drain moves every shard's results into p, and those still waiting for
// the timeline into the settler.
func (e *engine) drain(p *Progress) {
	e.mu.Lock()
	shards := e.shards
	e.mu.Unlock()
	for _, sh := range shards {
		sh.mu.Lock()
		part := sh.progress
		sh.progress = Progress{}
		if len(sh.waiting) > 0 {
			e.settler.waiting = append(e.settler.waiting, sh.waiting...)
			sh.waiting = sh.waiting[:0]
		}
		sh.mu.Unlock()
		p.merge(&part)
	}
}
