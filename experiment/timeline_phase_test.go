package experiment

import (
	"testing"
	"time"
)

var tlEpoch = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// tlAt is tlEpoch plus s seconds.
func tlAt(s float64) time.Time { return tlEpoch.Add(time.Duration(s * float64(time.Second))) }

func TestPhaseAt(t *testing.T) {
	// A fault planned at +1 s that took effect at +3 s, reverted at +5 s.
	late := Timeline{First: tlAt(3), Intervals: []Interval{{Fault: "kill", From: tlAt(3), To: tlAt(5)}}, SettledUntil: tlAt(9), Done: true}
	inPlace := Timeline{First: tlAt(3), Intervals: []Interval{{Fault: "kill", From: tlAt(3)}}, SettledUntil: tlAt(4)}
	// A repeating fault between its injections: reverted at +5, the next due.
	between := Timeline{First: tlAt(3), Intervals: []Interval{{Fault: "kill", From: tlAt(3), To: tlAt(5)}}, SettledUntil: tlAt(5)}
	// Done, but the revert failed: chaos never ends.
	leftBehind := Timeline{First: tlAt(3), Intervals: []Interval{{Fault: "kill", From: tlAt(3)}}, SettledUntil: tlAt(8), Done: true}
	repeated := Timeline{First: tlAt(1), Intervals: []Interval{
		{Fault: "kill", Injection: 0, From: tlAt(1), To: tlAt(2)},
		{Fault: "kill", Injection: 1, From: tlAt(4), To: tlAt(6)},
	}, SettledUntil: tlAt(6), Done: true}
	cases := []struct {
		name  string
		tl    Timeline
		at    float64
		phase string
		final bool
	}{
		{"nothing yet, settled", Timeline{SettledUntil: tlAt(2)}, 1, LoadPhaseBaseline, true},
		{"nothing yet, not settled", Timeline{SettledUntil: tlAt(2)}, 2, LoadPhaseBaseline, false},
		{"zero timeline", Timeline{}, 1, LoadPhaseBaseline, false},
		{"no fault ever, done", Timeline{Done: true}, 100, LoadPhaseBaseline, true},
		{"planned chaos before the late inject", late, 1.5, LoadPhaseBaseline, true},
		{"just before the inject", late, 2.999, LoadPhaseBaseline, true},
		{"at the inject", late, 3, LoadPhaseChaos, true},
		{"during the fault", late, 4, LoadPhaseChaos, true},
		{"at the revert", late, 5, LoadPhaseRecovery, true},
		{"long after, complete", late, 60, LoadPhaseRecovery, true},
		{"in place, settled", inPlace, 3.5, LoadPhaseChaos, true},
		{"in place, past settled", inPlace, 4.5, LoadPhaseChaos, false},
		{"between injections, before the revert", between, 4, LoadPhaseChaos, true},
		{"between injections, after the revert", between, 5.5, LoadPhaseChaos, false},
		{"revert failed", leftBehind, 7, LoadPhaseChaos, true},
		{"revert failed, past settled", leftBehind, 9, LoadPhaseChaos, false},
		{"gap between two injections", repeated, 3, LoadPhaseChaos, true},
		{"after the last of two", repeated, 6.5, LoadPhaseRecovery, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			phase, final := tc.tl.PhaseAt(tlAt(tc.at))
			if phase != tc.phase || final != tc.final {
				t.Fatalf("PhaseAt(+%gs) = %s, final %v; want %s, final %v", tc.at, phase, final, tc.phase, tc.final)
			}
		})
	}
}

func TestMergeTimelines(t *testing.T) {
	exp := Timeline{First: tlAt(2), Intervals: []Interval{{Fault: "once", From: tlAt(2), To: tlAt(4)}}, SettledUntil: tlAt(10), Done: true}
	child := Timeline{First: tlAt(1), Intervals: []Interval{{Fault: "rep", Injection: 3, From: tlAt(7)}}, SettledUntil: tlAt(8)}
	childDone := Timeline{First: tlAt(1), Intervals: []Interval{{Fault: "rep", Injection: 3, From: tlAt(7), To: tlAt(9)}}, SettledUntil: tlAt(9), Done: true}
	cases := []struct {
		name      string
		parts     []Timeline
		want      Timeline
		complete  bool
		chaosEnd  time.Time
		intervals int
	}{
		{name: "none", parts: nil, want: Timeline{}},
		{name: "one", parts: []Timeline{exp}, want: exp, complete: true, chaosEnd: tlAt(4), intervals: 1},
		{
			name:  "experiment and a running child",
			parts: []Timeline{exp, child},
			// The complete experiment does not hold back the child's settled time.
			want:      Timeline{First: tlAt(1), SettledUntil: tlAt(8)},
			intervals: 2,
		},
		{
			name:      "both done",
			parts:     []Timeline{exp, childDone},
			want:      Timeline{First: tlAt(1), SettledUntil: tlAt(10), Done: true},
			complete:  true,
			chaosEnd:  tlAt(9),
			intervals: 2,
		},
		{
			name:      "the same interval twice, closed in one",
			parts:     []Timeline{child, childDone},
			want:      Timeline{First: tlAt(1), SettledUntil: tlAt(8)},
			intervals: 1,
		},
		{
			name:  "earliest settled among the running",
			parts: []Timeline{{SettledUntil: tlAt(5)}, {SettledUntil: tlAt(3)}, {SettledUntil: tlAt(4), Done: true}},
			want:  Timeline{SettledUntil: tlAt(3)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := MergeTimelines(tc.parts...)
			if !m.First.Equal(tc.want.First) || !m.SettledUntil.Equal(tc.want.SettledUntil) || m.Done != tc.want.Done {
				t.Fatalf("merged First %s SettledUntil %s Done %v; want %s %s %v", m.First, m.SettledUntil, m.Done, tc.want.First, tc.want.SettledUntil, tc.want.Done)
			}
			if len(m.Intervals) != tc.intervals {
				t.Fatalf("%d intervals, want %d: %+v", len(m.Intervals), tc.intervals, m.Intervals)
			}
			if m.Complete() != tc.complete {
				t.Fatalf("Complete() = %v, want %v", m.Complete(), tc.complete)
			}
			end, ok := m.ChaosEnd()
			if ok != tc.complete || !end.Equal(tc.chaosEnd) {
				t.Fatalf("ChaosEnd() = %s, %v; want %s, %v", end, ok, tc.chaosEnd, tc.complete)
			}
		})
	}
}

func TestInPlaceAndOpen(t *testing.T) {
	tl := Timeline{First: tlAt(1), Intervals: []Interval{
		{Fault: "pause", From: tlAt(1), To: tlAt(2)},
		{Fault: "kill", From: tlAt(3)},
		{Fault: "pause", Injection: 1, From: tlAt(5)},
	}}
	cases := []struct {
		name   string
		at     float64
		faults []string
		want   bool
	}{
		{"before any", 0.5, nil, false},
		{"first pause", 1.5, []string{"pause"}, true},
		{"at its revert", 2, []string{"pause"}, false},
		{"kill not named", 3.5, []string{"pause"}, false},
		{"kill, any fault", 3.5, nil, true},
		{"kill, named", 3.5, []string{"other", "kill"}, true},
		{"second pause", 6, []string{"pause"}, true},
		{"unknown fault", 6, []string{"other"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tl.InPlace(tlAt(tc.at), tc.faults); got != tc.want {
				t.Fatalf("InPlace(+%gs, %v) = %v, want %v", tc.at, tc.faults, got, tc.want)
			}
		})
	}
	if !tl.Open([]string{"kill"}) || !tl.Open(nil) || tl.Open([]string{"other"}) {
		t.Fatal("Open: want kill and any open, other not")
	}
	closed := Timeline{Intervals: []Interval{{Fault: "kill", From: tlAt(1), To: tlAt(2)}}}
	if closed.Open(nil) {
		t.Fatal("Open: a reverted injection is not in place")
	}
}

func TestReceivedSettlesAQuietAnswer(t *testing.T) {
	quiet := Timeline{SettledUntil: tlAt(1), Quiet: true}
	if got := quiet.Received(tlAt(5)).SettledUntil; !got.Equal(tlAt(5)) {
		t.Fatalf("quiet answer received at +5s settled until %s, want +5s", got.Sub(tlEpoch))
	}
	if got := quiet.Received(tlAt(0.5)).SettledUntil; !got.Equal(tlAt(1)) {
		t.Fatalf("received before its own SettledUntil: %s, want +1s kept", got.Sub(tlEpoch))
	}
	busy := Timeline{SettledUntil: tlAt(1)}
	if got := busy.Received(tlAt(5)).SettledUntil; !got.Equal(tlAt(1)) {
		t.Fatalf("an answer with an inject in flight settled until %s, want +1s", got.Sub(tlEpoch))
	}
	if m := MergeTimelines(quiet, busy); m.Quiet {
		t.Fatal("merged Quiet with one source busy")
	}
}
