package chaosengine

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Stats summarises durations.
type Stats struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

func stats(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration {
		i := int(float64(len(s))*p+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Stats{N: len(s), P50: q(0.50), P99: q(0.99), Max: s[len(s)-1]}
}

func (s Stats) String() string {
	if s.N == 0 {
		return "n=0"
	}
	r := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	return fmt.Sprintf("p50 %s, p99 %s, max %s (n=%d)", r(s.P50), r(s.P99), r(s.Max), s.N)
}

// Measure is one failover: a worker killed At (since the run began) while
// running attempt Attempt of Activity; attempt RanAttempt of it started on
// another worker, and ran there, D later (RanAttempt 0: the activity was
// found done). Backoff is the retry interval before RanAttempt (the retry
// policy's, growing with the attempt number); Lost counts the attempts in
// between that started but never ran (handed to a poll held by a network
// cut or a frozen worker, or, ToDead of them, to the dead worker's own
// poll). Overlap names the outage (cut, server restart, freeze) whose span,
// plus the time workers take to poll again, met [At, At+D].
type Measure struct {
	At         time.Duration `json:"at"`
	D          time.Duration `json:"d"`
	Activity   string        `json:"activity,omitempty"`
	Attempt    int32         `json:"attempt,omitempty"`
	RanAttempt int32         `json:"ranAttempt,omitempty"`
	Backoff    time.Duration `json:"backoff,omitempty"`
	Lost       int           `json:"lost,omitempty"`
	ToDead     int           `json:"toDead,omitempty"`
	Overlap    string        `json:"overlap,omitempty"`
}

// AbortMeasure is one abort sent At (since the run began) to a run whose
// fault was in place: the call returned Accepted later, the target's
// ledger showed the fault reverted D later. Overlap as in Measure.
type AbortMeasure struct {
	ID       string        `json:"id"`
	At       time.Duration `json:"at"`
	Accepted time.Duration `json:"accepted"`
	D        time.Duration `json:"d"`
	Overlap  string        `json:"overlap,omitempty"`
}

// Outage is a span during which workers could not reach the server (a
// network cut, a server restart: From is the kill) or one worker was
// frozen.
type Outage struct {
	Kind string        `json:"kind"`
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
}

// repollWithin is how long after an outage workers may take to poll again:
// the Go SDK retries a failed poll (and gRPC a failed connect) with
// exponential backoff from 200 ms up to 10 s.
const repollWithin = 10 * time.Second

// overlap names the first outage that met [from, to] (a cut or a restart
// with repollWithin after it).
func overlap(outages []Outage, from, to time.Duration) string {
	for _, o := range outages {
		end := o.To
		if o.Kind != ActFreeze {
			end += repollWithin
		}
		if o.From <= to && end >= from {
			return fmt.Sprintf("%s %s-%s", o.Kind, o.From.Round(100*time.Millisecond), o.To.Round(100*time.Millisecond))
		}
	}
	return ""
}

// Report is what a run found.
type Report struct {
	Seed     uint64        `json:"seed"`
	Duration time.Duration `json:"duration"`
	Targets  int           `json:"targets"`
	Workers  int           `json:"workers"`
	// Actions counts each chaos action; Log lists them in order.
	Actions map[string]int `json:"actions"`
	Log     []Action       `json:"log"`
	// Unmeasured counts kills with no activity in flight on the killed
	// worker, activities the killed worker completed as it died
	// (killDoneAsKilled), and aborts with no fault in place (no figure to
	// take).
	Unmeasured map[string]int `json:"unmeasured"`
	// KilledDuring counts the activities in flight on killed workers, by
	// type (SelectTargets is pre-flight, WatchProbe a Continuous probe,
	// CheckProbe SOT/EOT, GenerateLoad the load, Inject and Revert).
	KilledDuring map[string]int `json:"killedDuring"`

	Experiments   int                       `json:"experiments"`
	Verdicts      map[string]map[string]int `json:"verdicts"` // kind -> verdict or status -> count
	Terminal      int                       `json:"terminal"`
	Correct       int                       `json:"correct"` // experiments with no violation
	Leftovers     int                       `json:"leftovers"`
	DoubleReverts int                       `json:"doubleReverts"`

	KillToProgress Stats `json:"killToProgress"`
	// KillToProgressIsolated leaves out the kills whose failover window
	// met an outage (Measure.Overlap).
	KillToProgressIsolated Stats `json:"killToProgressIsolated"`
	// KillToProgressFirstRetry is the isolated kills whose activity ran
	// again at its first retry interval (1 s) with no attempt lost: the
	// figure against "heartbeat timeout + 1 s". KillToProgressLessBackoff
	// is every isolated kill less its retry interval: how long the dead
	// worker took to be noticed plus the dispatch.
	KillToProgressFirstRetry  Stats     `json:"killToProgressFirstRetry"`
	KillToProgressLessBackoff Stats     `json:"killToProgressLessBackoff"`
	KillMeasures              []Measure `json:"killMeasures"`
	// LostAttempts counts the attempts started after a kill that never
	// ran; LostToDead those the dead worker's own identity started.
	LostAttempts    int            `json:"lostAttempts"`
	LostToDead      int            `json:"lostToDead"`
	AbortToReverted Stats          `json:"abortToReverted"`
	AbortIsolated   Stats          `json:"abortToRevertedIsolated"`
	AbortMeasures   []AbortMeasure `json:"abortMeasures"`
	Outages         []Outage       `json:"outages"`
	ServerDowntime  Stats          `json:"serverDowntime"`

	// LoadAvg is the machine's 1-minute load average during the chaos
	// (mean and max of samples every 10 s), and its core count.
	LoadAvgMean float64 `json:"loadAvgMean"`
	LoadAvgMax  float64 `json:"loadAvgMax"`
	Cores       int     `json:"cores"`

	// Blind counts runs Errored because the engine could not observe
	// through the harness's own chaos (Record.Blind): right verdicts.
	Blind      int       `json:"blind"`
	Violations []string  `json:"violations"`
	Runs       []*Record `json:"runs"`
}

// OK reports whether the run found no violation.
func (r *Report) OK() bool { return len(r.Violations) == 0 }

func (h *harness) report() *Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &Report{
		Seed: h.cfg.Seed, Duration: time.Since(h.start).Round(time.Second), Targets: h.cfg.Targets, Workers: h.cfg.Workers,
		Actions: h.counts, Log: h.actions, Unmeasured: h.unmeasured, KilledDuring: h.killedDuring,
		Verdicts:        map[string]map[string]int{},
		KillToProgress:  stats(h.kill2prog),
		AbortToReverted: stats(h.abort2rev),
		ServerDowntime:  stats(h.downtime),
		Runs:            h.records,
		Cores:           runtime.NumCPU(),
		KillMeasures:    h.killMeasures,
	}
	var isolated, first, less, abortIso []time.Duration
	for i := range r.KillMeasures {
		m := &r.KillMeasures[i]
		m.Overlap = overlap(h.outages, m.At, m.At+m.D)
		r.LostAttempts += m.Lost
		r.LostToDead += m.ToDead
		if m.Overlap != "" {
			continue
		}
		isolated = append(isolated, m.D)
		less = append(less, m.D-m.Backoff)
		if m.RanAttempt > 0 && m.Backoff > 0 && m.Backoff <= time.Second && m.Lost == 0 {
			first = append(first, m.D)
		}
	}
	r.KillToProgressFirstRetry = stats(first)
	r.KillToProgressLessBackoff = stats(less)
	r.AbortMeasures, r.Outages = h.abortMeas, h.outages
	for i := range r.AbortMeasures {
		a := &r.AbortMeasures[i]
		a.Overlap = overlap(h.outages, a.At, a.At+a.D)
		if a.Overlap == "" {
			abortIso = append(abortIso, a.D)
		}
	}
	r.AbortIsolated = stats(abortIso)
	r.KillToProgressIsolated = stats(isolated)
	for _, l := range h.loadavg {
		r.LoadAvgMean += l / float64(len(h.loadavg))
		r.LoadAvgMax = max(r.LoadAvgMax, l)
	}
	for _, rec := range h.records {
		r.Experiments++
		if rec.Status != "" && rec.Status != "Stuck" && rec.Status != "not started" && rec.Status != "Running" {
			r.Terminal++
		}
		if len(rec.Violations) == 0 {
			r.Correct++
		}
		outcome := string(rec.Verdict)
		if outcome == "" {
			outcome = rec.Status
		}
		if rec.Abort == "accepted" {
			outcome += " (aborted)"
		}
		if rec.Blind {
			outcome += " (could not observe through the harness's chaos)"
			r.Blind++
		}
		if r.Verdicts[string(rec.Kind)] == nil {
			r.Verdicts[string(rec.Kind)] = map[string]int{}
		}
		r.Verdicts[string(rec.Kind)][outcome]++
		for _, v := range rec.Violations {
			if strings.HasPrefix(v, "left behind") {
				r.Leftovers++
			}
			if strings.HasPrefix(v, "double revert") {
				r.DoubleReverts++
			}
			r.Violations = append(r.Violations, rec.ID+": "+v)
		}
	}
	for _, v := range h.global {
		if strings.HasPrefix(v, "left behind") {
			r.Leftovers++
		}
		r.Violations = append(r.Violations, v)
	}
	return r
}

// WriteSummary prints the report as a table.
func (r *Report) WriteSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Tempest under chaos\tseed %d, %s, %d targets, %d workers\n", r.Seed, r.Duration, r.Targets, r.Workers)
	fmt.Fprintf(tw, "load average (1 min)\tmean %.1f, max %.1f on %d cores\n", r.LoadAvgMean, r.LoadAvgMax, r.Cores)
	keys := make([]string, 0, len(r.Actions))
	for k := range r.Actions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s\t%d\n", k, r.Actions[k])
	}
	var during []string
	for k, n := range r.KilledDuring {
		during = append(during, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(during)
	fmt.Fprintf(tw, "  activities in flight on killed workers\t%s\n", strings.Join(during, ", "))
	fmt.Fprintf(tw, "experiments\t%d\n", r.Experiments)
	kinds := make([]string, 0, len(r.Verdicts))
	for k := range r.Verdicts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		var parts []string
		for v, n := range r.Verdicts[k] {
			parts = append(parts, fmt.Sprintf("%s %d", v, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(tw, "  %s\t%s\n", k, strings.Join(parts, ", "))
	}
	pct := func(n int) string {
		if r.Experiments == 0 {
			return "-"
		}
		return fmt.Sprintf("%d/%d (%.0f%%)", n, r.Experiments, 100*float64(n)/float64(r.Experiments))
	}
	fmt.Fprintf(tw, "terminal\t%s\n", pct(r.Terminal))
	fmt.Fprintf(tw, "correct (no violation)\t%s\n", pct(r.Correct))
	fmt.Fprintf(tw, "leftovers\t%d\n", r.Leftovers)
	fmt.Fprintf(tw, "double effective reverts\t%d\n", r.DoubleReverts)
	fmt.Fprintf(tw, "worker kill -> activity on another worker\t%s; %d kill(s) found nothing in flight, %d activit(ies) done as the worker died\n",
		r.KillToProgress, r.Unmeasured[ActWorkerKill], r.Unmeasured[killDoneAsKilled])
	fmt.Fprintf(tw, "  the same, no outage in the window\t%s\n", r.KillToProgressIsolated)
	fmt.Fprintf(tw, "  of which at the first retry (1 s), no attempt lost\t%s\n", r.KillToProgressFirstRetry)
	fmt.Fprintf(tw, "  no outage, less the retry interval\t%s\n", r.KillToProgressLessBackoff)
	fmt.Fprintf(tw, "  attempts started after a kill that never ran\t%d (%d by the dead worker's identity)\n", r.LostAttempts, r.LostToDead)
	fmt.Fprintf(tw, "abort -> fault reverted at the target\t%s; %d abort(s) had no fault in place\n", r.AbortToReverted, r.Unmeasured[ActAbort])
	fmt.Fprintf(tw, "  the same, no outage in the window\t%s\n", r.AbortIsolated)
	fmt.Fprintf(tw, "server kill -> serving again\t%s\n", r.ServerDowntime)
	fmt.Fprintf(tw, "Errored: could not observe through the harness's chaos\t%d (right: the engine said it could not look)\n", r.Blind)
	fmt.Fprintf(tw, "violations\t%d\n", len(r.Violations))
	_ = tw.Flush()
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION %s\n", v)
	}
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
