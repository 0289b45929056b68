package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// runReport is the final output of `tempest run`, in the documented JSON shape.
type runReport struct {
	WorkflowID string             `json:"workflowId"`
	RunID      string             `json:"runId"`
	Experiment string             `json:"experiment"`
	Verdict    experiment.Verdict `json:"verdict"`
	Reasons    []string           `json:"reasons"`
	// ResilienceScore is a percentage rounded to 0.1; absent for a dry run,
	// which measures nothing.
	ResilienceScore *float64                  `json:"resilienceScore,omitempty"`
	Probes          []probeLine               `json:"probes"`
	Faults          []faultLine               `json:"faults"`
	Targets         []experiment.FaultTargets `json:"targets,omitempty"`
	Load            *experiment.LoadReport    `json:"load,omitempty"`
	HistoryEvents   int                       `json:"historyEvents"`
	DurationSeconds float64                   `json:"durationSeconds"`
	UILink          string                    `json:"uiLink,omitempty"`
}

type probeLine struct {
	Name   string               `json:"name"`
	Mode   experiment.ProbeMode `json:"mode"`
	Passed bool                 `json:"passed"`
	// SuccessPercent is rounded to 0.1.
	SuccessPercent float64 `json:"successPercent"`
	Observations   int     `json:"observations"`
	// Value is the last measured value, Detail why the first failure failed.
	Value  string `json:"value,omitempty"`
	Detail string `json:"detail,omitempty"`
}

type faultLine struct {
	Name       string `json:"name"`
	Injections int    `json:"injections"`
	Reverts    int    `json:"reverts"`
	// NotRestored: the fault's revert cannot restore anything (a process
	// kill with no restart command), so Reverts counts no restoration.
	NotRestored bool     `json:"notRestored,omitempty"`
	LeftBehind  []string `json:"leftBehind,omitempty"`
	// TargetsHit lists the ID of every target any injection hit, in order.
	TargetsHit []string `json:"targetsHit,omitempty"`
	// Held lists each injection as it happened (from the workers' clocks);
	// HeldOmitted counts the earlier ones the result no longer lists.
	Held        []experiment.Injection `json:"held,omitempty"`
	HeldOmitted int                    `json:"heldOmitted,omitempty"`
	// RecoverySeconds: from the last revert to the EOT probes passing.
	RecoverySeconds *float64 `json:"recoverySeconds,omitempty"`
}

// reportOf builds the report of res. exp is the experiment as started
// (nil when unknown): it says which faults restore nothing.
func reportOf(workflowID, runID string, res experiment.Result, exp *experiment.Experiment, events int, took time.Duration, link string) runReport {
	r := runReport{
		WorkflowID: workflowID, RunID: runID, Experiment: res.Experiment,
		Verdict: res.Verdict, Reasons: res.Reasons,
		Targets: res.Targets, Load: res.Load, HistoryEvents: events,
		DurationSeconds: took.Seconds(), UILink: link,
		Probes: []probeLine{}, Faults: []faultLine{},
	}
	if res.Verdict != experiment.VerdictDryRun {
		s := pctValue(res.ResilienceScore)
		r.ResilienceScore = &s
	}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	for _, p := range res.Probes {
		line := probeLine{Name: p.Name, Mode: p.Mode, Passed: p.Passed, SuccessPercent: pctValue(p.SuccessPercent), Observations: p.Observations}
		if p.Last != nil {
			line.Value = p.Last.Value
		}
		if !p.Passed && p.FirstFailure != nil {
			line.Detail = p.FirstFailure.Detail
		}
		r.Probes = append(r.Probes, line)
	}
	for _, f := range res.Faults {
		line := faultLine{Name: f.Name, Injections: f.Injections, Reverts: f.Reverts, LeftBehind: f.LeftBehind,
			TargetsHit: targetsHit(f), Held: f.Held, HeldOmitted: f.HeldOmitted, NotRestored: f.Injections > 0 && restoresNothing(exp, f.Name)}
		if f.RecoveryKnown {
			s := f.Recovery.Seconds()
			line.RecoverySeconds = &s
		}
		r.Faults = append(r.Faults, line)
	}
	return r
}

// restoresNothing reports whether the fault named name is a process kill
// with no restart command: its revert has nothing to restore.
func restoresNothing(exp *experiment.Experiment, name string) bool {
	if exp == nil {
		return false
	}
	for _, f := range exp.Spec.Faults {
		if f.Name == name && f.Process != nil {
			kill := f.Process.Action == "" || f.Process.Action == experiment.ProcessKill
			return kill && len(f.Process.Restart) == 0
		}
	}
	return false
}

// targetsHit is every target the fault's injections hit, first hit first:
// the result's Targets, then any only its injection records name.
func targetsHit(f experiment.FaultResult) []string {
	out := append([]string(nil), f.Targets...)
	for _, h := range f.Held {
		if h.Target != "" && !slices.Contains(out, h.Target) {
			out = append(out, h.Target)
		}
	}
	return out
}

func (r runReport) writeJSON(w io.Writer) error { return writeIndented(w, r) }

// writeIndented writes v as indented JSON, with "<" and ">" of threshold
// expressions as they are written.
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// maxListed bounds the targets listed per fault in text.
const maxListed = 5

func (r runReport) writeText(w io.Writer) {
	if r.ResilienceScore != nil {
		fmt.Fprintf(w, "\nExperiment %s: %s (resilience score %s)\n", r.Experiment, r.Verdict, pct(*r.ResilienceScore))
	} else {
		fmt.Fprintf(w, "\nExperiment %s: %s\n", r.Experiment, r.Verdict)
	}
	for _, reason := range r.Reasons {
		fmt.Fprintf(w, "  - %s\n", reason)
	}
	if r.Verdict == experiment.VerdictDryRun {
		// What would have been hit; nothing was.
		for _, t := range r.Targets {
			fmt.Fprintf(w, "  would hit, for %s:\n", t.Fault)
			for _, tg := range t.Targets {
				fmt.Fprintf(w, "    %s %s\n", tg.ID, tg.Description)
			}
		}
	}
	for _, f := range r.Faults {
		if r.Verdict != experiment.VerdictDryRun {
			writeFaultText(w, f, r.describe(f.Name))
		}
	}
	for _, p := range r.Probes {
		fmt.Fprintf(w, "  probe %-20s %-10s %s  %s of %d observations", p.Name, p.Mode, passFail(p.Passed), pct(p.SuccessPercent), p.Observations)
		if p.Value != "" {
			fmt.Fprintf(w, ", last value %s", p.Value)
		}
		if p.Detail != "" {
			fmt.Fprintf(w, ", first failure: %s", p.Detail)
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

// describe maps the target IDs of fault to their descriptions, from the
// targets selected first.
func (r runReport) describe(fault string) map[string]string {
	out := map[string]string{}
	for _, t := range r.Targets {
		if t.Fault == fault {
			for _, tg := range t.Targets {
				out[tg.ID] = tg.Description
			}
		}
	}
	return out
}

func writeFaultText(w io.Writer, f faultLine, desc map[string]string) {
	fmt.Fprintf(w, "  fault %-20s injections %d, ", f.Name, f.Injections)
	switch {
	case f.NotRestored:
		fmt.Fprint(w, "not restored (a kill with no restart command)")
	default:
		fmt.Fprintf(w, "reverts %d", f.Reverts)
	}
	if f.RecoverySeconds != nil {
		fmt.Fprintf(w, ", recovered %.1fs after the revert", *f.RecoverySeconds)
	}
	fmt.Fprintln(w)
	if len(f.LeftBehind) > 0 {
		fmt.Fprintf(w, "    left behind: %s\n", listBounded(f.LeftBehind, maxListed))
	}
	if len(f.TargetsHit) > 0 {
		named := make([]string, len(f.TargetsHit))
		for i, id := range f.TargetsHit {
			named[i] = id
			if d := desc[id]; d != "" {
				named[i] += " (" + d + ")"
			}
		}
		fmt.Fprintf(w, "    targets (%d): %s", len(named), listBounded(named, maxListed))
		if f.HeldOmitted > 0 {
			fmt.Fprintf(w, "; the %d earliest injections are not listed", f.HeldOmitted)
		}
		fmt.Fprintln(w)
	}
	for _, h := range heldSummary(f.Held) {
		fmt.Fprintf(w, "    %s\n", h)
	}
}

// listBounded joins the first n items and says how many more there are.
func listBounded(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func writeLoadText(w io.Writer, l *experiment.LoadReport) {
	fmt.Fprintf(w, "  load: %d requests, %d succeeded\n", l.Requests, l.Successes)
	for _, p := range l.Phases {
		fmt.Fprintf(w, "    %-9s %6d req  %6s ok  %7.1f req/s  p50 %s p95 %s p99 %s max %s\n",
			p.Phase, p.Requests, pct(100*p.SuccessRatio), p.Rate, millis(p.P50), millis(p.P95), millis(p.P99), millis(p.Max))
	}
	for _, t := range l.Thresholds {
		fmt.Fprintf(w, "    threshold %s: %s\n", t.Metric, thresholdText(t))
	}
}

// pct and pctValue are experiment.Percent and PercentValue.
func pct(v float64) string       { return experiment.Percent(v) }
func pctValue(v float64) float64 { return experiment.PercentValue(v) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// millis formats a latency in milliseconds: whole above 10ms, else to 0.1ms.
func millis(ms float64) string {
	if ms >= 10 {
		return strconv.FormatFloat(math.Round(ms), 'f', -1, 64) + "ms"
	}
	return strconv.FormatFloat(round1(ms), 'f', -1, 64) + "ms"
}

var (
	// measuredValue is a threshold's measured value as package load or
	// k6 writes it: "p(95)=612.3ms", "rate=22.81% (57 of 250)", "rate=0.2281".
	measuredValue = regexp.MustCompile(`^(\S+?)=([-+0-9.eE]+)(%|ms|/s)?(?:\s+\((.*)\))?$`)
	// writtenExpr is a threshold expression as the user wrote it.
	writtenExpr = regexp.MustCompile(`^\s*(\S+?)\s*(<=|>=|===|==|!=|<|>)\s*([-+0-9.eE]+)\s*([a-zµ]*)\s*$`)
)

// thresholdText says what a threshold measured in the unit its expression
// was written in, then the expression and the outcome:
// "rate=0.23 (rate<0.30) FAIL, 57 of 250 failed", "p(95)=612ms (p(95)<500ms) FAIL".
func thresholdText(t experiment.ThresholdResult) string {
	value := t.Value
	var extra string
	if m := measuredValue.FindStringSubmatch(t.Value); m != nil {
		if v, ok := inWrittenUnit(t.Metric, t.Expression, m[2], m[3]); ok {
			value = m[1] + "=" + v
		}
		extra = m[4]
	}
	s := value
	if t.Expression != "" {
		s += " (" + t.Expression + ")"
	}
	s += " " + passFail(t.Passed)
	if extra != "" {
		if strings.HasPrefix(t.Metric, experiment.MetricReqFailed) {
			extra += " failed"
		}
		s += ", " + extra
	}
	return s
}

// inWrittenUnit converts a measured number (number and unit as measured)
// into the unit of expr.
func inWrittenUnit(metric, expr, number, unit string) (string, bool) {
	e := writtenExpr.FindStringSubmatch(expr)
	v, err := strconv.ParseFloat(number, 64)
	if e == nil || err != nil {
		return "", false
	}
	written, wunit := e[3], e[4]
	limit, _ := strconv.ParseFloat(written, 64)
	base, _, _ := strings.Cut(metric, "{")
	switch base {
	case experiment.MetricReqFailed:
		if unit == "%" {
			v /= 100
		}
		return fixed(v, max(2, decimals(written)), limit), true
	case experiment.MetricReqDuration:
		per := map[string]float64{"": 1, "ms": 1, "s": 1000, "m": 60000, "us": 0.001, "µs": 0.001}[wunit]
		if per == 0 {
			return "", false
		}
		shown := wunit
		if shown == "" {
			shown = "ms"
		}
		v /= per
		return fixed(v, max(decimals(written), significant(v)), limit) + shown, true
	}
	return "", false
}

// fixed formats v with d decimals, and more (up to 6) when that would show
// it equal to limit while it is not, or as 0 while it is not.
func fixed(v float64, d int, limit float64) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	hides := func() bool {
		shown, _ := strconv.ParseFloat(s, 64)
		return (v != limit && s == strconv.FormatFloat(limit, 'f', d, 64)) || (v != 0 && shown == 0)
	}
	for d < 6 && hides() {
		d++
		s = strconv.FormatFloat(v, 'f', d, 64)
	}
	return s
}

// decimals counts the digits after the point of a written number.
func decimals(number string) int {
	if i := strings.IndexByte(number, '.'); i >= 0 {
		return len(strings.TrimRightFunc(number[i+1:], func(r rune) bool { return r < '0' || r > '9' }))
	}
	return 0
}

// significant is how many decimals show v to two significant digits (at
// most 3; none from 10 up).
func significant(v float64) int {
	a := math.Abs(v)
	switch {
	case a >= 10 || a == 0:
		return 0
	case a >= 1:
		return 1
	case a >= 0.1:
		return 2
	default:
		return 3
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
