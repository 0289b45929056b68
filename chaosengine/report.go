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

// Measure is one failover: a worker killed At (since the run began), its
// activity running elsewhere D later.
type Measure struct {
	At time.Duration `json:"at"`
	D  time.Duration `json:"d"`
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
	// worker, and aborts with no fault in place (no figure to take).
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
	// saw a network cut, a server restart or a freeze begin.
	KillToProgressIsolated Stats     `json:"killToProgressIsolated"`
	KillMeasures           []Measure `json:"killMeasures"`
	AbortToReverted        Stats     `json:"abortToReverted"`
	ServerDowntime         Stats     `json:"serverDowntime"`

	// LoadAvg is the machine's 1-minute load average during the chaos
	// (mean and max of samples every 10 s), and its core count.
	LoadAvgMean float64 `json:"loadAvgMean"`
	LoadAvgMax  float64 `json:"loadAvgMax"`
	Cores       int     `json:"cores"`

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
	var isolated []time.Duration
	for _, m := range h.killMeasures {
		clean := true
		for _, a := range h.actions {
			disruptive := a.Kind == ActCutBlackhole || a.Kind == ActCutReset || a.Kind == ActServerRestart || a.Kind == ActFreeze
			// A cut or freeze is logged as it begins; a server restart once it serves again.
			begin := a.At
			if a.Kind == ActServerRestart {
				begin = a.At - 5*time.Second
			}
			if disruptive && begin <= m.At+m.D && a.At >= m.At {
				clean = false
			}
		}
		if clean {
			isolated = append(isolated, m.D)
		}
	}
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
	fmt.Fprintf(tw, "worker kill -> activity on another worker\t%s; %d kill(s) found nothing in flight\n", r.KillToProgress, r.Unmeasured[ActWorkerKill])
	fmt.Fprintf(tw, "  the same, no cut/restart/freeze in the window\t%s\n", r.KillToProgressIsolated)
	fmt.Fprintf(tw, "abort -> fault reverted at the target\t%s; %d abort(s) had no fault in place\n", r.AbortToReverted, r.Unmeasured[ActAbort])
	fmt.Fprintf(tw, "server kill -> serving again\t%s\n", r.ServerDowntime)
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
