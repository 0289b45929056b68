package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// beatEvery is how often a pulse heartbeats; activity options give short
// activities a heartbeat timeout of a few times this.
const beatEvery = time.Second

// pulse heartbeats the latest details every beatEvery until stopped, so a
// worker that dies mid-activity is noticed within the heartbeat timeout, the
// activity learns of cancellation, and a retry resumes from the details.
type pulse struct {
	ctx     context.Context
	mu      sync.Mutex
	details any
	// say, when set, puts the details in words as a second heartbeat
	// detail (the Temporal UI shows both; a retry resumes from the first).
	say      func(any) string
	done     chan struct{}
	finished chan struct{}
}

// startPulse starts heartbeating; details may be nil.
func startPulse(ctx context.Context, details any) *pulse {
	p := &pulse{ctx: ctx, details: details, done: make(chan struct{}), finished: make(chan struct{})}
	if !activity.IsActivity(ctx) {
		close(p.finished)
		return p
	}
	go p.run()
	return p
}

func (p *pulse) run() {
	defer close(p.finished)
	t := time.NewTicker(beatEvery)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-p.ctx.Done():
			return
		case <-t.C:
			p.beat()
		}
	}
}

func (p *pulse) beat() {
	p.mu.Lock()
	d, say := p.details, p.say
	p.mu.Unlock()
	switch {
	case d == nil:
		activity.RecordHeartbeat(p.ctx)
	case say != nil:
		activity.RecordHeartbeat(p.ctx, d, say(d))
	default:
		activity.RecordHeartbeat(p.ctx, d)
	}
}

// Say sets how the details are put in words.
func (p *pulse) Say(say func(any) string) {
	p.mu.Lock()
	p.say = say
	p.mu.Unlock()
}

// Update replaces the details and heartbeats them now (the SDK throttles).
func (p *pulse) Update(details any) {
	p.mu.Lock()
	p.details = details
	p.mu.Unlock()
	if activity.IsActivity(p.ctx) {
		p.beat()
	}
}

// Stop ends the heartbeats and waits for the heartbeating goroutine.
func (p *pulse) Stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	<-p.finished
}

// resumeFrom loads the previous attempt's heartbeat details into d; it
// reports whether there were any.
func resumeFrom(ctx context.Context, d any) bool {
	if !activity.IsActivity(ctx) || !activity.HasHeartbeatDetails(ctx) {
		return false
	}
	return activity.GetHeartbeatDetails(ctx, d) == nil
}
