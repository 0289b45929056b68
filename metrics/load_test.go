package metrics

import (
	"math"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
)

// loadCalls records LoadRequests.
type loadCalls struct {
	Nop
	ok, failed map[string]int64
	lat        map[string][]Latency
}

func (l *loadCalls) LoadRequests(phase string, ok, failed int64, lat []Latency) {
	l.ok[phase] += ok
	l.failed[phase] += failed
	l.lat[phase] = append(l.lat[phase], lat...)
}

func newLoadCalls() *loadCalls {
	return &loadCalls{ok: map[string]int64{}, failed: map[string]int64{}, lat: map[string][]Latency{}}
}

// record adds n requests of latency d to a phase's stats.
func record(s *load.Stats, ok bool, d time.Duration, n int) {
	for range n {
		s.Requests++
		if ok {
			s.Successes++
		}
		s.Latency.Record(d)
	}
}

func TestLoadMeterReportsDeltas(t *testing.T) {
	calls := newLoadCalls()
	m := NewLoadMeter(calls, nil)
	var p load.Progress
	p.Phases = []load.PhaseStats{{Phase: experiment.LoadPhaseBaseline}}
	record(&p.Phases[0].Stats, true, 10*time.Millisecond, 5)
	m.Update(&p)
	m.Update(&p) // nothing new: nothing reported

	p2 := p.Clone()
	record(&p2.Phases[0].Stats, false, 2*time.Second, 2)
	p2.Phases = append(p2.Phases, load.PhaseStats{Phase: experiment.LoadPhaseChaos})
	record(&p2.Phases[1].Stats, true, 100*time.Millisecond, 3)
	m.Update(&p2)

	if calls.ok["baseline"] != 5 || calls.failed["baseline"] != 2 || calls.ok["chaos"] != 3 || calls.failed["chaos"] != 0 {
		t.Fatalf("ok %v failed %v", calls.ok, calls.failed)
	}
	total := map[string]int64{}
	for phase, ls := range calls.lat {
		for _, l := range ls {
			total[phase] += l.N
		}
	}
	if total["baseline"] != 7 || total["chaos"] != 3 {
		t.Errorf("latency samples %v", total)
	}
	for _, l := range calls.lat["chaos"] {
		if rel := math.Abs(l.D.Seconds()-0.1) / 0.1; rel > 0.011 {
			t.Errorf("chaos latency %v, want about 100ms", l.D)
		}
	}
}

func TestLoadMeterResumeIsNotCountedAgain(t *testing.T) {
	var prev load.Progress
	prev.Phases = []load.PhaseStats{{Phase: experiment.LoadPhaseBaseline}}
	record(&prev.Phases[0].Stats, true, time.Millisecond, 4)
	calls := newLoadCalls()
	m := NewLoadMeter(calls, &prev)
	cur := prev.Clone()
	record(&cur.Phases[0].Stats, true, time.Millisecond, 1)
	m.Update(&cur)
	if calls.ok["baseline"] != 1 {
		t.Errorf("after a resume: %d requests reported, want only the new one", calls.ok["baseline"])
	}
}

// TestBucketLatency: a latency comes back from its load.Histogram bucket
// within the histogram's 1%.
func TestBucketLatency(t *testing.T) {
	for _, d := range []time.Duration{time.Microsecond, 37 * time.Microsecond, 800 * time.Microsecond, 12 * time.Millisecond, 250 * time.Millisecond, 3 * time.Second, 90 * time.Second} {
		var h load.Histogram
		h.Record(d)
		b := bucketsOf(&h)
		if len(b) != 1 {
			t.Fatalf("%v: buckets %v", d, b)
		}
		for i := range b {
			got := bucketLatency(i)
			if rel := math.Abs(got.Seconds()-d.Seconds()) / d.Seconds(); rel > 0.011 {
				t.Errorf("%v: bucket %d stands for %v (%.2f%% off)", d, i, got, 100*rel)
			}
		}
	}
}
