package load

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

func TestRatesPerSecond(t *testing.T) {
	for in, want := range map[string]float64{"100/s": 100, "6000/m": 100, "36000/h": 10, "2/1ms": 2000, "5/500ms": 10, "0/s": 0} {
		got, err := perSecond(in)
		if err != nil || math.Abs(got-want) > 1e-9 {
			t.Errorf("perSecond(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7", "fast", "100/fortnight", "-5/s"} {
		if _, err := perSecond(bad); err == nil {
			t.Errorf("perSecond(%q) accepted", bad)
		}
	}
}

func TestScheduleRampsLinearly(t *testing.T) {
	s, err := newSchedule(experiment.Load{Stages: []experiment.LoadStage{
		{Duration: experiment.Duration(10 * time.Second), Target: "50/s"},
		{Duration: experiment.Duration(60 * time.Second), Target: "100/s"},
		{Duration: experiment.Duration(10 * time.Second), Target: "0/s"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Length() != 80*time.Second {
		t.Fatalf("length %s", s.Length())
	}
	// 0→50 over 10s: 250; 50→100 over 60s: 4500; 100→0 over 10s: 500.
	for at, want := range map[time.Duration]float64{10 * time.Second: 250, 70 * time.Second: 4750, 80 * time.Second: 5250, 5 * time.Second: 62.5} {
		if got := s.HitsAt(at); math.Abs(got-want) > 1e-6 {
			t.Errorf("HitsAt(%s) = %v, want %v", at, got, want)
		}
		if back, ok := s.TimeOf(want); !ok || (back-at).Abs() > time.Millisecond {
			t.Errorf("TimeOf(%v) = %s, %v; want %s", want, back, ok, at)
		}
	}
	if _, ok := s.TimeOf(5251); ok {
		t.Error("TimeOf past the end should report false")
	}
	if r := s.RateAt(40 * time.Second); math.Abs(r-75) > 1e-9 {
		t.Errorf("RateAt(40s) = %v", r)
	}
}

func TestPacerResumesTheRamp(t *testing.T) {
	s := schedule{{Length: 10 * time.Second, From: 0, To: 100}}
	p := newPacer(s, 5*time.Second) // 125 hits were due by 5s
	if p.first != 125 {
		t.Fatalf("first hit of the resumed attempt %v, want 125", p.first)
	}
	if wait, stop := p.Pace(0, 0); stop || wait != 0 {
		t.Fatalf("first resumed hit should go now: wait %s stop %v", wait, stop)
	}
	if _, stop := p.Pace(5*time.Second, 375); !stop {
		t.Fatal("the pacer should stop once the schedule's 500 hits are sent")
	}
}

func TestScheduleSpecErrorsNameTheField(t *testing.T) {
	cases := map[string]experiment.Load{
		"spec.load.rate":               {Duration: experiment.Duration(time.Second)},
		"spec.load.duration":           {Rate: "10/s"},
		"spec.load.stages[1].target":   {Stages: []experiment.LoadStage{{Duration: experiment.Duration(time.Second), Target: "1/s"}, {Duration: experiment.Duration(time.Second), Target: "x"}}},
		"spec.load.stages[0].duration": {Stages: []experiment.LoadStage{{Target: "1/s"}}},
	}
	for path, spec := range cases {
		if _, err := newSchedule(spec); err == nil || !strings.HasPrefix(err.Error(), path) {
			t.Errorf("%s: got %v", path, err)
		}
	}
}
