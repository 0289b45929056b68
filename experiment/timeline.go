package experiment

import "time"

// Interval is when one injection of a fault was actually in place on one
// target, by the clock of the worker that injected and reverted it.
type Interval struct {
	Fault     string `json:"fault"`
	Injection int    `json:"injection"`
	Target    string `json:"target,omitempty"`
	// From is when the inject took effect.
	From time.Time `json:"from"`
	// To is when its revert completed; zero while the fault is in place
	// (or its revert failed).
	To time.Time `json:"to,omitzero"`
}

// Timeline is what a run's faults actually did so far: the answer of the
// "timeline" query of ExperimentWorkflow and of each FaultWorkflow. Load
// phases and OnChaos windows are judged from it, never from the plan.
type Timeline struct {
	// First is when the run's first injection took effect (zero: none yet).
	First time.Time `json:"first,omitzero"`
	// Intervals are the injections known so far. A FaultWorkflow that
	// continued as new lists those of its current run only; First still
	// covers the earlier ones.
	Intervals []Interval `json:"intervals,omitempty"`
	// SettledUntil: no inject or revert takes effect before this time that
	// Intervals does not already show, so the phase of every moment before
	// it is final. It stops at the scheduling of an inject or revert still
	// in flight, and at the last revert while a later injection is due.
	SettledUntil time.Time `json:"settledUntil,omitzero"`
	// Done: no further injection will start (the chaos window is over or
	// was stopped).
	Done bool `json:"done,omitempty"`
	// Quiet: no inject or revert is in flight and no interval has closed
	// while a later injection is due, so every moment until this answer
	// was received is final too (a workflow reads no wall clock: the
	// reader applies its own receive time).
	Quiet bool `json:"quiet,omitempty"`
}
