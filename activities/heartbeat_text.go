package activities

import (
	"fmt"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
)

// What a person reads beside an activity in the Temporal UI. A pulse
// heartbeats its details (what a retry resumes from) followed by one line
// saying them in words; resumeFrom reads only the first.

// sayWatch describes a Continuous or OnChaos probe's progress.
func sayWatch(p experiment.Probe) func(any) string {
	need := p.MinSuccessPercent
	if need <= 0 {
		need = 100
	}
	return func(d any) string {
		w, ok := d.(WatchResult)
		if !ok {
			return ""
		}
		r := w.Result
		if r.Observations == 0 {
			return fmt.Sprintf("probe %s (%s): no observation yet; needs %s passing", p.Name, p.Mode, experiment.Percent(need))
		}
		passed := r.Observations - r.Failures
		share := 100 * float64(passed) / float64(r.Observations)
		verdict := "passing so far"
		if share < need {
			verdict = "failing so far"
		}
		s := fmt.Sprintf("probe %s (%s): %d of %d observations passed (%s; needs %s): %s",
			p.Name, p.Mode, passed, r.Observations, experiment.Percent(share), experiment.Percent(need), verdict)
		if r.Last != nil && !r.Last.Passed && r.Last.Detail != "" {
			s += "; last failure: " + r.Last.Detail
		}
		if w.Discarded > 0 {
			s += fmt.Sprintf("; %d discarded (the fault was not in place)", w.Discarded)
		}
		return s
	}
}

// sayCheck describes a single-shot probe's attempts.
func sayCheck(p experiment.Probe) func(any) string {
	return func(d any) string {
		r, ok := d.(experiment.ProbeResult)
		if !ok {
			return ""
		}
		s := fmt.Sprintf("probe %s (%s): attempt %d of %d", p.Name, p.Mode, r.Observations, p.Retries+1)
		if r.Last != nil && !r.Last.Passed {
			s += " failed"
			if r.Last.Detail != "" {
				s += ": " + r.Last.Detail
			}
		}
		return s
	}
}

// sayLoad describes a load's progress: requests, rate, failures, p95, and
// requests by phase.
func sayLoad(d any) string {
	p, ok := d.(load.Progress)
	if !ok {
		return ""
	}
	t := p.Total()
	if t.Requests == 0 {
		return fmt.Sprintf("load: %d requests sent, none completed yet", p.Sent)
	}
	s := fmt.Sprintf("load: %d requests completed, %.1f req/s, %s failed, p95 %s",
		t.Requests, t.Rate(), experiment.Percent(100*t.FailedRate()), t.Latency.Quantile(0.95))
	var phases []string
	for _, ph := range p.Phases {
		phases = append(phases, fmt.Sprintf("%s %d", ph.Phase, ph.Stats.Requests))
	}
	if len(phases) > 1 {
		s += " (" + strings.Join(phases, ", ") + ")"
	}
	return s
}
