package metrics

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/tempest-chaos/tempest/load"
)

// LoadMeter turns a load run's cumulative progress (load.Options's
// OnProgress) into LoadRequests reports of what completed since the last
// one. Requests whose phase is not settled yet (Progress.Unsettled) are
// reported once settled. It is not safe for concurrent use.
type LoadMeter struct {
	rec  Recorder
	prev map[string]phaseCounts
}

// phaseCounts is what was reported of one phase.
type phaseCounts struct {
	requests, successes int64
	buckets             map[int64]int64
}

// NewLoadMeter reports to rec; resume is the progress a retried activity
// resumes from (nil for none), already reported by the attempt that made it.
func NewLoadMeter(rec Recorder, resume *load.Progress) *LoadMeter {
	m := &LoadMeter{rec: Or(rec), prev: map[string]phaseCounts{}}
	if resume != nil {
		for _, ph := range resume.Phases {
			m.prev[ph.Phase] = countsOf(&ph.Stats)
		}
	}
	return m
}

// Update reports what p adds to the previous progress.
func (m *LoadMeter) Update(p *load.Progress) {
	for i := range p.Phases {
		ph := &p.Phases[i]
		cur := countsOf(&ph.Stats)
		old := m.prev[ph.Phase]
		dReq, dOK := cur.requests-old.requests, cur.successes-old.successes
		if dReq <= 0 {
			continue
		}
		var lat []Latency
		for b, n := range cur.buckets {
			if d := n - old.buckets[b]; d > 0 {
				lat = append(lat, Latency{D: bucketLatency(b), N: d})
			}
		}
		m.rec.LoadRequests(ph.Phase, dOK, dReq-dOK, lat)
		m.prev[ph.Phase] = cur
	}
}

func countsOf(s *load.Stats) phaseCounts {
	return phaseCounts{requests: s.Requests, successes: s.Successes, buckets: bucketsOf(&s.Latency)}
}

// histogramWire is load.Histogram's JSON form, its only exported view of
// the buckets: [index, count] pairs.
type histogramWire struct {
	Count   int64      `json:"n"`
	MinUs   int64      `json:"minUs"`
	MaxUs   int64      `json:"maxUs"`
	Buckets [][2]int64 `json:"b,omitempty"`
}

func bucketsOf(h *load.Histogram) map[int64]int64 {
	b, err := json.Marshal(h)
	if err != nil {
		return nil
	}
	var w histogramWire
	if json.Unmarshal(b, &w) != nil {
		return nil
	}
	out := make(map[int64]int64, len(w.Buckets))
	for _, bc := range w.Buckets {
		out[bc[0]] += bc[1]
	}
	return out
}

var bucketLatencies sync.Map // int64 → time.Duration

// bucketLatency is the representative latency of load.Histogram bucket i,
// as load computes it: the median of a histogram holding one sample in
// that bucket, unclamped by its min and max.
func bucketLatency(i int64) time.Duration {
	if d, ok := bucketLatencies.Load(i); ok {
		return d.(time.Duration)
	}
	b, _ := json.Marshal(histogramWire{Count: 1, MinUs: 0, MaxUs: 1 << 50, Buckets: [][2]int64{{i, 1}}})
	var h load.Histogram
	if err := json.Unmarshal(b, &h); err != nil {
		return 0
	}
	d := h.Quantile(0.5)
	bucketLatencies.Store(i, d)
	return d
}
