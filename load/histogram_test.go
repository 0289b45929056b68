package load

import (
	"encoding/json"
	"math"
	"testing"
	"time"
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
