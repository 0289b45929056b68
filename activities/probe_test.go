package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe"
	"github.com/tempest-chaos/tempest/probe/httpprobe"
	"github.com/tempest-chaos/tempest/secret"
)

// server answers 200 once healthy is true, else 503; it counts requests.
type server struct {
	*httptest.Server
	healthy atomic.Bool
	hits    atomic.Int64
	delay   time.Duration
}

func newServer(t *testing.T) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		time.Sleep(s.delay)
		if !s.healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func acts() *Activities {
	probes := probe.NewRegistry()
	probes.Register(experiment.ProbeHTTP, httpprobe.New(secret.Resolver{}))
	return &Activities{Probes: probes}
}

func httpProbe(url string, mode experiment.ProbeMode) experiment.Probe {
	return experiment.Probe{
		Name: "p", Mode: mode, Timeout: experiment.Duration(time.Second),
		Interval: experiment.Duration(100 * time.Millisecond), Weight: 1,
		HTTP: &experiment.HTTPProbe{URL: url, ExpectStatus: []int{200}},
	}
}

func TestCheckProbeRetriesUntilRecovery(t *testing.T) {
	s := newServer(t)
	time.AfterFunc(350*time.Millisecond, func() { s.healthy.Store(true) })
	p := httpProbe(s.URL, experiment.ModeEOT)
	p.Retries = 20
	res, err := acts().CheckProbe(context.Background(), CheckInput{Probe: p})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed || res.Failures == 0 {
		t.Fatalf("want a pass after some failed attempts, got %+v", res)
	}
}

func TestCheckProbeFailsWhenRetriesRunOut(t *testing.T) {
	s := newServer(t)
	p := httpProbe(s.URL, experiment.ModeEOT)
	p.Retries = 2
	res, err := acts().CheckProbe(context.Background(), CheckInput{Probe: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || res.Observations != 3 {
		t.Fatalf("want 3 failed attempts, got %+v", res)
	}
}

func TestTimedOutObservationIsAFailure(t *testing.T) {
	s := newServer(t)
	s.healthy.Store(true)
	s.delay = 500 * time.Millisecond
	p := httpProbe(s.URL, experiment.ModeSOT)
	p.Timeout = experiment.Duration(100 * time.Millisecond)
	res, err := acts().CheckProbe(context.Background(), CheckInput{Probe: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || res.FirstFailure == nil {
		t.Fatalf("a probe that times out passed: %+v", res)
	}
}

func TestWatchStopsAtFirstBreach(t *testing.T) {
	s := newServer(t)
	s.healthy.Store(true)
	time.AfterFunc(300*time.Millisecond, func() { s.healthy.Store(false) })
	p := httpProbe(s.URL, experiment.ModeContinuous)
	p.StopOnFailure = true
	start := time.Now()
	out, err := acts().WatchProbe(context.Background(), WatchInput{Probe: p, Until: start.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Breached || out.Result.Passed {
		t.Fatalf("want a breach, got %+v", out)
	}
	if took := time.Since(start); took > 300*time.Millisecond+2*p.Interval.D() {
		t.Fatalf("breach reported %s after start, want within one interval of it", took)
	}
}

func TestWatchJudgesBySuccessPercent(t *testing.T) {
	s := newServer(t)
	s.healthy.Store(true)
	time.AfterFunc(500*time.Millisecond, func() { s.healthy.Store(false) })
	p := httpProbe(s.URL, experiment.ModeContinuous)
	p.MinSuccessPercent = 40
	out, err := acts().WatchProbe(context.Background(), WatchInput{Probe: p, Until: time.Now().Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Result
	if r.Failures == 0 || r.Failures == r.Observations {
		t.Fatalf("want some passes and some failures, got %+v", r)
	}
	if r.Passed != (r.SuccessPercent >= 40) {
		t.Fatalf("passed %v with %.0f%% against 40%%", r.Passed, r.SuccessPercent)
	}
}

func TestOnChaosObservesOnlyInsideWindows(t *testing.T) {
	s := newServer(t)
	s.healthy.Store(true)
	now := time.Now()
	windows := []Window{{Start: now.Add(400 * time.Millisecond), End: now.Add(700 * time.Millisecond)}}
	p := httpProbe(s.URL, experiment.ModeOnChaos)
	out, err := acts().WatchProbe(context.Background(), WatchInput{Probe: p, Until: now.Add(1200 * time.Millisecond), Windows: windows})
	if err != nil {
		t.Fatal(err)
	}
	// A 300 ms window at 100 ms intervals: about 3 observations, not 12.
	if n := out.Result.Observations; n < 2 || n > 4 {
		t.Fatalf("%d observations, want 2-4 inside the window", n)
	}
	if first := out.Result.Last.At; first.Before(windows[0].Start) {
		t.Fatalf("observed at %s, before the window", first)
	}
}

func TestWatchWithoutObservationsFails(t *testing.T) {
	p := httpProbe("http://127.0.0.1:1/", experiment.ModeOnChaos)
	out, err := acts().WatchProbe(context.Background(), WatchInput{Probe: p, Until: time.Now().Add(100 * time.Millisecond), Windows: []Window{}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Result.Passed {
		t.Fatal("a probe that never observed passed")
	}
}
