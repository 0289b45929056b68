package load

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tempest-chaos/tempest/experiment"
)

// A slow target makes requests pile up: the engine must start senders as
// they are needed, but never more than MaxInFlight at once.
func TestMaxInFlightBoundsConcurrentRequests(t *testing.T) {
	var peak atomic.Int64
	tg := startTarget(t, func(tg *target) { tg.sleep = 300 * time.Millisecond })
	spec := constantLoad(tg.URL, "200/s", time.Second)
	spec.MaxInFlight = 20
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				if n := tg.inFlight.Load(); n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	}()
	rep, err := Run(t.Context(), spec, Options{})
	close(stop)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if p := peak.Load(); p > 20 || p < 18 {
		t.Fatalf("peak in flight at the server %d; want it to reach the bound of 20, not pass it", p)
	}
	// 20 in flight at 300 ms each is about 67/s: the report shows the
	// rate the bound allowed, not the 200/s asked for.
	if rep.Requests < 50 || rep.Requests > 100 {
		t.Fatalf("%d requests in 1s with 20 in flight of 300ms; want about 67", rep.Requests)
	}
}

// Results recorded in several shards and drained add up to the same
// metrics as recording them in one place.
func TestDrainedShardsEqualOneRecorder(t *testing.T) {
	start := time.Unix(1000, 0)
	whole := &runner{}
	eng := &engine{}
	for range 4 {
		eng.shards = append(eng.shards, &shard{})
	}
	var drained Progress
	for i := range 4000 {
		res := &vegeta.Result{Code: 200, Latency: time.Duration(100+i%900) * time.Microsecond, Timestamp: start.Add(time.Duration(i) * time.Millisecond)}
		if i%10 == 0 {
			res.Code, res.Error = 503, "503 Service Unavailable"
		}
		recordInto(&whole.progress, whole.opts.Phases, res, false)
		recordInto(&eng.shards[i%4].progress, nil, res, false)
		if i%1500 == 0 {
			eng.drain(&drained) // drains mid-run, as the ticker does
		}
	}
	eng.drain(&drained)
	want, got := whole.progress.Total(), drained.Total()
	if got.Requests != 4000 || got.Requests != want.Requests || got.Successes != want.Successes || got.StatusCodes["503"] != 400 {
		t.Fatalf("drained %d requests (%d ok, %v); one recorder %d (%d ok)", got.Requests, got.Successes, got.StatusCodes, want.Requests, want.Successes)
	}
	if got.Latency.Quantile(0.99) != want.Latency.Quantile(0.99) || !got.First.Equal(want.First) || !got.Last.Equal(want.Last) {
		t.Fatalf("latency p99 %s vs %s, span %s-%s vs %s-%s", got.Latency.Quantile(0.99), want.Latency.Quantile(0.99), got.First, got.Last, want.First, want.Last)
	}
	ws, gs := whole.progress.Series, drained.Series
	if len(gs.Points) != 4 || len(gs.Points) != len(ws.Points) || !gs.Start.Equal(ws.Start) {
		t.Fatalf("series: %d points from %s, want %d from %s", len(gs.Points), gs.Start, len(ws.Points), ws.Start)
	}
	for i := range gs.Points {
		g, w := gs.Points[i], ws.Points[i]
		if g.Requests != w.Requests || g.Failures != w.Failures || g.MaxMs != w.MaxMs || g.MeanMs-w.MeanMs > 1e-9 || w.MeanMs-g.MeanMs > 1e-9 {
			t.Fatalf("point %d: drained %+v, one recorder %+v", i, g, w)
		}
	}
}

// Redirects are followed, as net/http follows them: a POST answered with
// 302 becomes a GET of the new location, and the next request starts again
// from the spec's URL and method.
func TestRedirectsAreFollowed(t *testing.T) {
	final := startTarget(t, nil)
	var methods sync.Map
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods.Store(r.Method, true)
		http.Redirect(w, r, final.URL+"/landed", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	spec := constantLoad(redirector.URL+"/start", "50/s", time.Second)
	spec.Targets[0].Method = http.MethodPost
	spec.Targets[0].Body = `{"a":1}`
	rep, err := Run(t.Context(), spec, Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Requests != 50 || rep.Successes != 50 || final.hits.Load() != 50 {
		t.Fatalf("%d requests, %d ok (%v %v); the redirect target saw %d; want 50 each", rep.Requests, rep.Successes, rep.Phases[0].StatusCodes, rep.Phases[0].Errors, final.hits.Load())
	}
	if _, ok := methods.Load(http.MethodPost); !ok {
		t.Fatal("the redirecting server never saw the spec's POST")
	}
	if _, ok := methods.Load(http.MethodGet); ok {
		t.Fatal("the spec's URL got a GET: a redirect's rewrite leaked into the next request")
	}
}

// Transport failures are counted by kind, whatever words the HTTP client
// uses for them: a closed port, a server slower than the timeout, and a
// server that hangs up without answering.
func TestTransportFailuresAreCountedByKind(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	refusedURL := closed.URL
	closed.Close()
	slow := startTarget(t, func(tg *target) { tg.sleep = time.Second })
	var hangUps atomic.Int64
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hangUps.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(hangUp.Close)

	for _, c := range []struct{ url, kind string }{
		{refusedURL, "connection refused"},
		{slow.URL, "timeout"},
		{hangUp.URL, "eof"},
	} {
		spec := constantLoad(c.url, "20/s", 500*time.Millisecond)
		spec.Timeout = experiment.Duration(200 * time.Millisecond)
		rep, err := Run(t.Context(), spec, Options{})
		if err != nil {
			t.Fatalf("%s: Run: %v", c.kind, err)
		}
		p := rep.Phases[0]
		if rep.Requests != 10 || rep.Successes != 0 || p.Errors[c.kind] != 10 {
			t.Errorf("%s: %d requests, %d ok, errors %v; want 10 failures of kind %q", c.url, rep.Requests, rep.Successes, p.Errors, c.kind)
		}
	}
	// A request may be resent once on a closed connection, as net/http
	// does, never more.
	if n := hangUps.Load(); n > 20 {
		t.Errorf("the hanging-up server saw %d requests for 10 sent", n)
	}
}
