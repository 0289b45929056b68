package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// progressLine is one line of live progress.
func progressLine(st experiment.Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s", st.Elapsed.Round(time.Second))
	if st.PlannedTotal > 0 {
		fmt.Fprintf(&b, " of ~%s", st.PlannedTotal.Round(time.Second))
	}
	fmt.Fprintf(&b, "] phase %s", st.Phase)
	if len(st.ActiveFaults) > 0 {
		fmt.Fprintf(&b, ", active faults: %s", strings.Join(st.ActiveFaults, ", "))
	}
	for _, p := range st.Probes {
		fmt.Fprintf(&b, ", %s %s", p.Name, passFail(p.Passed))
	}
	if st.Aborting {
		fmt.Fprintf(&b, ", aborting: %s", st.AbortReason)
	}
	return b.String()
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// report is the final output of `tempest run`, in the documented JSON shape.
type report struct {
	WorkflowID      string                    `json:"workflowId"`
	RunID           string                    `json:"runId"`
	Experiment      string                    `json:"experiment"`
	Verdict         experiment.Verdict        `json:"verdict"`
	Reasons         []string                  `json:"reasons"`
	ResilienceScore float64                   `json:"resilienceScore"`
	Probes          []probeLine               `json:"probes"`
	Faults          []faultLine               `json:"faults"`
	Targets         []experiment.FaultTargets `json:"targets,omitempty"`
	Load            *experiment.LoadReport    `json:"load,omitempty"`
	HistoryEvents   int                       `json:"historyEvents"`
	DurationSeconds float64                   `json:"durationSeconds"`
	UILink          string                    `json:"uiLink,omitempty"`
}

type probeLine struct {
	Name           string               `json:"name"`
	Mode           experiment.ProbeMode `json:"mode"`
	Passed         bool                 `json:"passed"`
	SuccessPercent float64              `json:"successPercent"`
	Observations   int                  `json:"observations"`
	// Value is the last measured value, Detail why the first failure failed.
	Value  string `json:"value,omitempty"`
	Detail string `json:"detail,omitempty"`
}

type faultLine struct {
	Name       string   `json:"name"`
	Injections int      `json:"injections"`
	Reverts    int      `json:"reverts"`
	LeftBehind []string `json:"leftBehind,omitempty"`
	// Held lists each injection as it happened (from the workers' clocks).
	Held []experiment.Injection `json:"held,omitempty"`
	// RecoverySeconds: from the last revert to the EOT probes passing.
	RecoverySeconds *float64 `json:"recoverySeconds,omitempty"`
}

func newReport(run *starter.Run, res experiment.Result, events int, took time.Duration, link string) report {
	r := report{
		WorkflowID: run.ID, RunID: run.RunID, Experiment: res.Experiment,
		Verdict: res.Verdict, Reasons: res.Reasons, ResilienceScore: res.ResilienceScore,
		Targets: res.Targets, Load: res.Load, HistoryEvents: events,
		DurationSeconds: took.Seconds(), UILink: link,
		Probes: []probeLine{}, Faults: []faultLine{},
	}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	for _, p := range res.Probes {
		line := probeLine{Name: p.Name, Mode: p.Mode, Passed: p.Passed, SuccessPercent: p.SuccessPercent, Observations: p.Observations}
		if p.Last != nil {
			line.Value = p.Last.Value
		}
		if !p.Passed && p.FirstFailure != nil {
			line.Detail = p.FirstFailure.Detail
		}
		r.Probes = append(r.Probes, line)
	}
	for _, f := range res.Faults {
		line := faultLine{Name: f.Name, Injections: f.Injections, Reverts: f.Reverts, LeftBehind: f.LeftBehind, Held: f.Held}
		if f.RecoveryKnown {
			s := f.Recovery.Seconds()
			line.RecoverySeconds = &s
		}
		r.Faults = append(r.Faults, line)
	}
	return r
}

func (r report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r report) writeText(w io.Writer) {
	fmt.Fprintf(w, "\nExperiment %s: %s (resilience score %.0f%%)\n", r.Experiment, r.Verdict, r.ResilienceScore)
	for _, reason := range r.Reasons {
		fmt.Fprintf(w, "  - %s\n", reason)
	}
	for _, t := range r.Targets {
		fmt.Fprintf(w, "  targets of %s:\n", t.Fault)
		for _, tg := range t.Targets {
			fmt.Fprintf(w, "    %s %s\n", tg.ID, tg.Description)
		}
	}
	for _, f := range r.Faults {
		fmt.Fprintf(w, "  fault %-20s injections %d, reverts %d", f.Name, f.Injections, f.Reverts)
		if f.RecoverySeconds != nil {
			fmt.Fprintf(w, ", recovered %.1fs after the revert", *f.RecoverySeconds)
		}
		fmt.Fprintln(w)
		for _, h := range heldSummary(f.Held) {
			fmt.Fprintf(w, "    %s\n", h)
		}
	}
	for _, p := range r.Probes {
		fmt.Fprintf(w, "  probe %-20s %-10s %s  %.0f%% of %d observations", p.Name, p.Mode, passFail(p.Passed), p.SuccessPercent, p.Observations)
		if p.Value != "" {
			fmt.Fprintf(w, ", last value %s", p.Value)
		}
		fmt.Fprintln(w)
	}
	if r.Load != nil {
		writeLoadText(w, r.Load)
	}
	fmt.Fprintf(w, "  history: %d events, %.1fs\n", r.HistoryEvents, r.DurationSeconds)
	if r.UILink != "" {
		fmt.Fprintf(w, "  UI: %s\n", r.UILink)
	}
}

func writeLoadText(w io.Writer, l *experiment.LoadReport) {
	fmt.Fprintf(w, "  load: %d requests, %d succeeded\n", l.Requests, l.Successes)
	for _, p := range l.Phases {
		fmt.Fprintf(w, "    %-9s %6d req  %5.1f%% ok  %7.1f req/s  p50 %.1fms p95 %.1fms p99 %.1fms max %.1fms\n",
			p.Phase, p.Requests, 100*p.SuccessRatio, p.Rate, p.P50, p.P95, p.P99, p.Max)
	}
	for _, t := range l.Thresholds {
		fmt.Fprintf(w, "    threshold %s %s: %s (%s)\n", t.Metric, t.Expression, passFail(t.Passed), t.Value)
	}
}

// heldSummary says how long each injection was in place: one line per
// injection when there are few, else the shortest and longest.
func heldSummary(held []experiment.Injection) []string {
	line := func(h experiment.Injection) string {
		switch {
		case h.At.IsZero():
			return fmt.Sprintf("#%d %s: outcome unknown, reverted to be safe", h.N, h.Target)
		case h.RevertedAt.IsZero():
			return fmt.Sprintf("#%d %s: in place from %s, not reverted", h.N, h.Target, h.At.Format("15:04:05.000"))
		}
		s := fmt.Sprintf("#%d %s: in place %s to %s, held %s of %s", h.N, h.Target,
			h.At.Format("15:04:05.000"), h.RevertedAt.Format("15:04:05.000"), h.Held.Round(10*time.Millisecond), h.Planned)
		if h.CutShort != "" {
			s += " (cut short: " + h.CutShort + ")"
		}
		return s
	}
	if len(held) <= 5 {
		out := make([]string, 0, len(held))
		for _, h := range held {
			out = append(out, line(h))
		}
		return out
	}
	lo, hi := held[0], held[0]
	for _, h := range held[1:] {
		if h.Held < lo.Held {
			lo = h
		}
		if h.Held > hi.Held {
			hi = h
		}
	}
	return []string{fmt.Sprintf("%d injections listed, shortest and longest:", len(held)), line(lo), line(hi)}
}
