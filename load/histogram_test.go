package load

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestHistogramQuantilesWithinOnePercent(t *testing.T) {
	var h Histogram
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * 100 * time.Microsecond) // 0.1ms .. 1s, uniform
	}
	for _, q := range []float64{0.5, 0.9, 0.95, 0.99} {
		want := q * float64(time.Second)
		if got := float64(h.Quantile(q)); math.Abs(got-want)/want > 0.011 {
			t.Errorf("q%.2f = %s, want %s within 1%%", q, time.Duration(got), time.Duration(want))
		}
	}
	if h.Max() != time.Second || h.Min() != 100*time.Microsecond || h.Count() != 10000 {
		t.Fatalf("min %s max %s count %d", h.Min(), h.Max(), h.Count())
	}
}

func TestHistogramMergesAndRoundTripsJSON(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Millisecond
		all.Record(d)
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	back.Merge(&b)
	for _, q := range []float64{0.5, 0.99} {
		if back.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%.2f after JSON and merge %s, want %s", q, back.Quantile(q), all.Quantile(q))
		}
	}
	if back.Mean() != all.Mean() || back.Count() != all.Count() || back.Max() != all.Max() {
		t.Fatal("merged histogram differs")
	}
	if len(raw) > 8<<10 {
		t.Fatalf("500 samples took %d bytes of JSON", len(raw))
	}
}

func TestSeriesStaysCapped(t *testing.T) {
	var s = Progress{}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for sec := range 3 * MaxSeriesPoints {
		seriesAdd(&s.Series, start.Add(time.Duration(sec)*time.Second), time.Millisecond, sec%2 == 0)
	}
	if n := len(s.Series.Points); n > MaxSeriesPoints {
		t.Fatalf("%d points", n)
	}
	var total, failed int64
	for _, p := range s.Series.Points {
		total += p.Requests
		failed += p.Failures
	}
	if total != 3*MaxSeriesPoints || failed != 3*MaxSeriesPoints/2 || s.Series.Step.D() != 4*time.Second {
		t.Fatalf("total %d failed %d step %s", total, failed, s.Series.Step)
	}
}

func TestHourLongProgressStaysSmallEnoughToHeartbeat(t *testing.T) {
	r := &runner{opts: Options{Phases: []Window{
		{Phase: PhaseBaseline, Start: time.Unix(0, 0), End: time.Unix(1200, 0)},
		{Phase: PhaseChaos, Start: time.Unix(1200, 0), End: time.Unix(2400, 0)},
		{Phase: PhaseRecovery, Start: time.Unix(2400, 0), End: time.Unix(3600, 0)},
	}}}
	for i := range 3600 * 100 { // one result every 10ms for an hour
		code := uint16(200)
		if i%97 == 0 {
			code = 503
		}
		recordInto(&r.progress, r.opts.Phases, &vegeta.Result{Code: code, Error: map[bool]string{true: "503"}[code == 503], Latency: time.Duration(50+i%20000) * time.Microsecond, Timestamp: time.Unix(0, int64(i)*int64(10*time.Millisecond))}, false)
	}
	raw, err := json.Marshal(r.progress)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("an hour of progress: %d bytes of JSON, %d series points of %s", len(raw), len(r.progress.Series.Points), r.progress.Series.Step)
	if len(raw) > 512<<10 {
		t.Fatalf("heartbeat details of %d bytes exceed Temporal's 512 KiB warning size", len(raw))
	}
	if len(r.progress.Phases) != 3 || r.progress.Total().Requests != 360000 {
		t.Fatalf("phases %d, requests %d", len(r.progress.Phases), r.progress.Total().Requests)
	}
}
