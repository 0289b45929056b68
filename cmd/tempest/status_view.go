package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
	"github.com/tempest-chaos/tempest/starter"
)

// statusView is what `tempest status` and the progress line of `tempest
// run` show: a display type, with durations in seconds, built from what
// the server, the status and timeline queries and the result say.
type statusView struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	Experiment string `json:"experiment"`
	// State is Temporal's: Running, Completed, Failed, Canceled, Terminated, TimedOut.
	State     string           `json:"state"`
	Phase     experiment.Phase `json:"phase,omitempty"`
	StartedAt time.Time        `json:"startedAt,omitzero"`
	// ElapsedSeconds: since the start; for a closed run, its whole length.
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	// Estimate is the planned length while the run is open.
	Estimate *estimateView `json:"estimate,omitempty"`
	// Faults is each fault's injections so far and the targets it holds
	// now, when the timeline query answered.
	Faults []faultStatus `json:"faults,omitempty"`
	// ActiveFaults names the faults in place (the status query).
	ActiveFaults []string      `json:"activeFaults"`
	Probes       []probeStatus `json:"probes"`
	Load         *loadStatus   `json:"load,omitempty"`
	Aborting     bool          `json:"aborting,omitempty"`
	AbortReason  string        `json:"abortReason,omitempty"`
	// Note says what could not be read (no worker answered the status query).
	Note string `json:"note,omitempty"`
	// Result is the outcome once the run is closed.
	Result *runReport `json:"result,omitempty"`
	// ResultError is why a closed run has no result (terminated, timed out).
	ResultError string `json:"resultError,omitempty"`
	UILink      string `json:"uiLink,omitempty"`
}

// estimateView: ExpectedSeconds is the planned length when every SOT and
// EOT probe passes at its first check (probes' initial delays and the
// chaos window; before the chaos window, the time taken so far counts for
// the probes before it); AtMostSeconds when every probe uses all its
// retries and timeouts (the workflow's own estimate). Neither counts the
// time reverts take.
type estimateView struct {
	ExpectedSeconds float64 `json:"expectedSeconds"`
	AtMostSeconds   float64 `json:"atMostSeconds"`
}

type faultStatus struct {
	Name string `json:"name"`
	// Injections so far (the highest injection number the timeline shows).
	Injections int `json:"injections"`
	// InPlace lists the targets the fault holds now.
	InPlace []string `json:"inPlace,omitempty"`
}

type probeStatus struct {
	Name         string               `json:"name"`
	Mode         experiment.ProbeMode `json:"mode,omitempty"`
	Observations int                  `json:"observations"`
	Failures     int                  `json:"failures"`
	// PassPercent is the share of passing observations, rounded to 0.1.
	PassPercent float64 `json:"passPercent"`
}

type loadStatus struct {
	Requests int64 `json:"requests"`
	// RatePerSecond is the send rate over the last few seconds.
	RatePerSecond float64 `json:"ratePerSecond"`
	// ErrorPercent is the share of failed requests so far, rounded to 0.1.
	ErrorPercent float64 `json:"errorPercent"`
	P95Ms        float64 `json:"p95Ms"`
}

// statusInput is everything a statusView is built from.
type statusInput struct {
	desc starter.Description
	// exp is the experiment as started (nil when unknown).
	exp *experiment.Experiment
	// status and timeline are the queries' answers (nil: no answer, see queryErr).
	status   *experiment.Status
	timeline *experiment.Timeline
	queryErr error
	// result of a closed run, or why there is none.
	result    *experiment.Result
	resultErr error
	events    int
	link      string
	// since, when set, is the start by this process's clock (`tempest
	// run`); otherwise the elapsed time is counted from the server's start
	// time (a skew between the two clocks shows in it).
	since time.Time
}

func newStatusView(in statusInput, now time.Time) statusView {
	v := statusView{
		WorkflowID: in.desc.WorkflowID, RunID: in.desc.RunID, State: in.desc.Status,
		StartedAt: in.desc.StartTime, UILink: in.link,
		ActiveFaults: []string{}, Probes: []probeStatus{},
	}
	if in.exp != nil {
		v.Experiment = in.exp.Metadata.Name
	}
	if !in.desc.Running {
		v.Phase = experiment.PhaseDone
		if !in.desc.CloseTime.IsZero() && !in.desc.StartTime.IsZero() {
			v.ElapsedSeconds = seconds(in.desc.CloseTime.Sub(in.desc.StartTime))
		}
		switch {
		case in.result != nil:
			r := reportOf(in.desc.WorkflowID, in.desc.RunID, *in.result, in.exp, in.events, in.desc.CloseTime.Sub(in.desc.StartTime), in.link)
			v.Result = &r
			v.Experiment = in.result.Experiment
		case in.resultErr != nil:
			v.ResultError = in.resultErr.Error()
		}
		return v
	}

	elapsed := time.Duration(0)
	switch {
	case !in.since.IsZero():
		elapsed = now.Sub(in.since)
	case !in.desc.StartTime.IsZero():
		elapsed = now.Sub(in.desc.StartTime)
	}
	if st := in.status; st != nil {
		v.Experiment = st.Experiment
		v.Phase = st.Phase
		v.ActiveFaults = append(v.ActiveFaults, st.ActiveFaults...)
		v.Aborting, v.AbortReason = st.Aborting, st.AbortReason
		// The query's elapsed is as of the workflow's last task; it only
		// bounds the elapsed time from below.
		elapsed = max(elapsed, st.Elapsed)
	}
	switch {
	case errors.Is(in.queryErr, context.DeadlineExceeded):
		v.Note = fmt.Sprintf("no worker answered the status query within %v: is a worker polling the experiment's task queue?", statusWait)
	case in.queryErr != nil:
		v.Note = fmt.Sprintf("no worker answered the status query (%v): is a worker polling the experiment's task queue?", in.queryErr)
	}
	v.ElapsedSeconds = seconds(elapsed)
	if in.exp != nil {
		expected, atMost := newPlan(*in.exp).estimate(in.status, elapsed)
		v.Estimate = &estimateView{ExpectedSeconds: seconds(expected), AtMostSeconds: seconds(atMost)}
	}
	if in.timeline != nil {
		v.Faults = faultsFromTimeline(*in.timeline, in.exp)
	}
	v.Probes = probesNow(in.status, in.desc.Probes)
	if in.desc.Load != nil {
		v.Load = loadNow(in.desc.Load)
	}
	return v
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*10) / 10 }

// faultsFromTimeline counts each fault's injections so far and lists what
// it holds now, in the spec's order of faults when it is known.
func faultsFromTimeline(tl experiment.Timeline, exp *experiment.Experiment) []faultStatus {
	var out []faultStatus
	index := map[string]int{}
	add := func(name string) int {
		if i, ok := index[name]; ok {
			return i
		}
		index[name] = len(out)
		out = append(out, faultStatus{Name: name})
		return len(out) - 1
	}
	if exp != nil {
		for _, f := range exp.Spec.Faults {
			add(f.Name)
		}
	}
	for _, iv := range tl.Intervals {
		f := &out[add(iv.Fault)]
		f.Injections = max(f.Injections, iv.Injection)
		if iv.To.IsZero() && iv.Target != "" && !slices.Contains(f.InPlace, iv.Target) {
			f.InPlace = append(f.InPlace, iv.Target)
		}
	}
	return out
}

// probesNow merges the probes the status query reports (those finished)
// with the live aggregates of the probes being watched.
func probesNow(st *experiment.Status, live []experiment.ProbeResult) []probeStatus {
	out := []probeStatus{}
	seen := map[string]bool{}
	add := func(p experiment.ProbeResult) {
		if seen[p.Name] {
			return
		}
		seen[p.Name] = true
		ps := probeStatus{Name: p.Name, Mode: p.Mode, Observations: p.Observations, Failures: p.Failures}
		if p.Observations > 0 {
			ps.PassPercent = pctValue(100 * float64(p.Observations-p.Failures) / float64(p.Observations))
		}
		out = append(out, ps)
	}
	if st != nil {
		for _, p := range st.Probes {
			add(p)
		}
	}
	for _, p := range live {
		add(p)
	}
	return out
}

// rateWindow is how many whole series steps the live request rate spans.
const rateWindow = 5

// loadNow sums the load's progress: requests, the recent send rate (from
// the series, leaving out its last step, which may still fill), the error
// share and p95 so far.
func loadNow(p *load.Progress) *loadStatus {
	var total load.Stats
	for i := range p.Phases {
		total.Merge(&p.Phases[i].Stats)
	}
	l := &loadStatus{Requests: total.Requests, ErrorPercent: pctValue(100 * total.FailedRate())}
	if total.Latency.Count() > 0 {
		l.P95Ms = round1(float64(total.Latency.Quantile(0.95)) / float64(time.Millisecond))
	}
	pts := p.Series.Points
	if len(pts) > 1 {
		pts = pts[:len(pts)-1]
	}
	if n := min(len(pts), rateWindow); n > 0 && p.Series.Step.D() > 0 {
		var sum int64
		for _, pt := range pts[len(pts)-n:] {
			sum += pt.Requests
		}
		l.RatePerSecond = round1(float64(sum) / (float64(n) * p.Series.Step.D().Seconds()))
	}
	return l
}

func (v statusView) writeJSON(w io.Writer) error { return writeIndented(w, v) }

// writeText is the human view of `tempest status`.
func (v statusView) writeText(w io.Writer) {
	name := v.Experiment
	if name == "" {
		name = "?"
	}
	if v.Result != nil || v.ResultError != "" {
		// Temporal's status of a run that did not pass is Failed whatever
		// its verdict (Failed, Errored, Aborted): the verdict is below.
		fmt.Fprintf(w, "Experiment %s, workflow %s (run %s): ended after %s (Temporal status %s)\n",
			name, v.WorkflowID, v.RunID, durationText(v.ElapsedSeconds), v.State)
		if v.ResultError != "" {
			fmt.Fprintf(w, "  no result: %s\n", v.ResultError)
		}
		if v.Result != nil {
			v.Result.writeText(w)
		} else if v.UILink != "" {
			fmt.Fprintf(w, "  UI: %s\n", v.UILink)
		}
		return
	}
	fmt.Fprintf(w, "Experiment %s, workflow %s (run %s): %s\n", name, v.WorkflowID, v.RunID, strings.ToLower(v.State))
	phase := string(v.Phase)
	if phase == "" {
		phase = "unknown"
	}
	fmt.Fprintf(w, "  phase:    %s\n", phase)
	fmt.Fprintf(w, "  elapsed:  %s\n", elapsedText(v, true))
	if v.Aborting {
		fmt.Fprintf(w, "  aborting: %s\n", v.AbortReason)
	}
	if f := faultsText(v, 1<<30); f != "" {
		fmt.Fprintf(w, "  faults:   %s\n", f)
	}
	for _, p := range v.Probes {
		fmt.Fprintf(w, "  probe:    %s\n", probeText(p))
	}
	if v.Load != nil {
		fmt.Fprintf(w, "  load:     %s\n", loadText(v.Load))
	}
	if v.Note != "" {
		fmt.Fprintf(w, "  note:     %s\n", v.Note)
	}
	if v.UILink != "" {
		fmt.Fprintf(w, "  UI:       %s\n", v.UILink)
	}
}

// elapsedText is "12s of ~15s (at most 45s)"; long adds what the
// estimate includes.
func elapsedText(v statusView, long bool) string {
	s := durationText(v.ElapsedSeconds)
	e := v.Estimate
	if e == nil || e.AtMostSeconds <= 0 {
		return s
	}
	if e.ExpectedSeconds >= v.ElapsedSeconds && e.ExpectedSeconds < e.AtMostSeconds {
		s += fmt.Sprintf(" of ~%s (at most %s)", durationText(e.ExpectedSeconds), durationText(e.AtMostSeconds))
	} else {
		s += fmt.Sprintf(" of at most %s", durationText(e.AtMostSeconds))
	}
	if long {
		s += "; planned: probes passing at their first check, the chaos window; at most: every probe retry; reverts not counted"
	}
	return s
}

// durationText shows whole seconds, and tenths below 10s.
func durationText(sec float64) string {
	if sec < 10 {
		return fmt.Sprintf("%.1fs", sec)
	}
	return (time.Duration(math.Round(sec)) * time.Second).String()
}

// faultsText lists each fault's injections and what it holds now,
// naming at most listed targets per fault (0: counting them); without a
// timeline, the active faults' names.
func faultsText(v statusView, listed int) string {
	if len(v.Faults) == 0 {
		if len(v.ActiveFaults) == 0 {
			return ""
		}
		return strings.Join(v.ActiveFaults, ", ") + " in place"
	}
	var parts []string
	for _, f := range v.Faults {
		if f.Injections == 0 && len(f.InPlace) == 0 && !slices.Contains(v.ActiveFaults, f.Name) {
			// Not injected yet, or a repeating fault whose FaultWorkflow
			// has closed (its timeline is no longer asked).
			continue
		}
		s := fmt.Sprintf("%s %d injection%s", f.Name, f.Injections, plural(f.Injections))
		switch {
		case len(f.InPlace) > 0 && listed == 0:
			s += fmt.Sprintf(", in place on %d target%s", len(f.InPlace), plural(len(f.InPlace)))
		case len(f.InPlace) > 0:
			s += ", in place on " + listBounded(f.InPlace, listed)
		case slices.Contains(v.ActiveFaults, f.Name):
			s += ", in place"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func probeText(p probeStatus) string {
	if p.Observations == 0 {
		return fmt.Sprintf("%s no observation yet", p.Name)
	}
	return fmt.Sprintf("%s %s of %d passed", p.Name, pct(p.PassPercent), p.Observations)
}

func loadText(l *loadStatus) string {
	return fmt.Sprintf("%d requests, %.1f req/s, errors %s, p95 %s", l.Requests, l.RatePerSecond, pct(l.ErrorPercent), millis(l.P95Ms))
}
