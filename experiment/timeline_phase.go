package experiment

import (
	"slices"
	"time"
)

// Load phase names: what a moment of a run was, judged from its Timeline.
const (
	LoadPhaseBaseline = "baseline"
	LoadPhaseChaos    = "chaos"
	LoadPhaseRecovery = "recovery"
)

// Received applies the moment a reader received this answer: a Quiet
// answer settles every moment before it (a workflow reads no wall clock,
// so its SettledUntil stops at its latest task).
func (t Timeline) Received(at time.Time) Timeline {
	if t.Quiet && at.After(t.SettledUntil) {
		t.SettledUntil = at
	}
	return t
}

// MergeTimelines combines the answers of several sources of one run (the
// experiment workflow and the fault workflows of its repeating faults):
// First is the earliest, Intervals their union (an interval two sources
// both report counts once, closed if either saw it closed), SettledUntil
// the earliest among the sources not yet complete, Done and Quiet when all
// are. Apply each answer's Received first. No source gives the zero
// Timeline.
func MergeTimelines(parts ...Timeline) Timeline {
	var m Timeline
	if len(parts) == 0 {
		return m
	}
	m.Done, m.Quiet = true, true
	settled, open := time.Time{}, false
	for _, p := range parts {
		if !p.First.IsZero() && (m.First.IsZero() || p.First.Before(m.First)) {
			m.First = p.First
		}
		for _, iv := range p.Intervals {
			m.Intervals = addInterval(m.Intervals, iv)
		}
		m.Done = m.Done && p.Done
		m.Quiet = m.Quiet && p.Quiet
		if p.complete() {
			// Nothing more will happen in it: it settles every moment.
			if !open && p.SettledUntil.After(settled) {
				settled = p.SettledUntil
			}
			continue
		}
		if !open || p.SettledUntil.Before(settled) {
			settled = p.SettledUntil
		}
		open = true
	}
	m.SettledUntil = settled
	return m
}

// addInterval adds iv to ivs unless ivs already has it (same fault,
// injection, target and start), in which case a closed copy wins.
func addInterval(ivs []Interval, iv Interval) []Interval {
	i := slices.IndexFunc(ivs, func(o Interval) bool {
		return o.Fault == iv.Fault && o.Injection == iv.Injection && o.Target == iv.Target && o.From.Equal(iv.From)
	})
	if i < 0 {
		return append(ivs, iv)
	}
	if ivs[i].To.IsZero() {
		ivs[i].To = iv.To
	}
	return ivs
}

// complete reports whether nothing more will happen: no further injection
// will start and every injection known was reverted.
func (t Timeline) complete() bool {
	if !t.Done {
		return false
	}
	for _, iv := range t.Intervals {
		if iv.To.IsZero() {
			return false
		}
	}
	return true
}

// Complete reports whether the timeline is final: Done, and every
// injection reverted. Every moment's phase is then final.
func (t Timeline) Complete() bool { return t.complete() }

// ChaosEnd is the last revert (the latest To) once it is known: the run is
// complete. Until then chaos has no end yet (ok false): an injection is in
// place, its revert failed, or another may still start.
func (t Timeline) ChaosEnd() (end time.Time, ok bool) {
	if !t.complete() {
		return time.Time{}, false
	}
	for _, iv := range t.Intervals {
		if iv.To.After(end) {
			end = iv.To
		}
	}
	return end, true
}

// FinalBefore reports up to when phases are final: the phase of a moment
// before until is final; all is true when every moment's is (the timeline
// is complete).
func (t Timeline) FinalBefore() (until time.Time, all bool) {
	if t.complete() {
		return time.Time{}, true
	}
	return t.SettledUntil, false
}

// PhaseAt says what moment at was: baseline before the first injection
// took effect, chaos from it until the last revert, recovery after that;
// and whether that is final (at is before SettledUntil, or the timeline is
// complete) or may still change as the run goes on. A moment exactly at
// the first inject is chaos, one exactly at the last revert recovery.
func (t Timeline) PhaseAt(at time.Time) (phase string, final bool) {
	until, all := t.FinalBefore()
	final = all || at.Before(until)
	if t.First.IsZero() || at.Before(t.First) {
		return LoadPhaseBaseline, final
	}
	if end, ok := t.ChaosEnd(); ok && !at.Before(end) {
		return LoadPhaseRecovery, final
	}
	return LoadPhaseChaos, final
}

// InPlace reports whether an injection of one of faults (any fault when
// faults is empty) was in place at moment at, as far as the timeline
// knows: it took effect at or before at and was not reverted by then.
func (t Timeline) InPlace(at time.Time, faults []string) bool {
	for _, iv := range t.Intervals {
		if !t.concerns(iv, faults) || iv.From.IsZero() || iv.From.After(at) {
			continue
		}
		if iv.To.IsZero() || at.Before(iv.To) {
			return true
		}
	}
	return false
}

// Open reports whether an injection of one of faults (any when faults is
// empty) is in place now, as far as the timeline knows: it took effect and
// was not reverted yet.
func (t Timeline) Open(faults []string) bool {
	for _, iv := range t.Intervals {
		if t.concerns(iv, faults) && !iv.From.IsZero() && iv.To.IsZero() {
			return true
		}
	}
	return false
}

func (Timeline) concerns(iv Interval, faults []string) bool {
	return len(faults) == 0 || slices.Contains(faults, iv.Fault)
}
