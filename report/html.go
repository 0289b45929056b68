package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// uPlot 1.6.32 (MIT, assets/LICENSE), fetched with `npm pack uplot@1.6.32`
// (assets/README.md has the checksums): a time-series chart library of
// about 50 KB with no dependencies, drawn on canvas, fast with thousands of
// points. It is inlined in every HTML report.
var (
	//go:embed assets/uPlot.iife.min.js
	uplotJS string
	//go:embed assets/uPlot.min.css
	uplotCSS string
	//go:embed html.tmpl
	pageTemplate string
	//go:embed html.js
	pageJS string
	//go:embed html.css
	pageCSS string
)

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"offset":  offset,
	"clock":   clock,
	"percent": percent,
	"ms":      ms,
	"held":    heldText,
	"outcome": injectionOutcome,
	"obs":     observation,
	"round":   roundDuration,
	"passed":  verdictPassed,
}).Parse(pageTemplate))

// HTML writes the report as one self-contained HTML page: summary,
// charts of the load over time (request rate, error rate, latency) with
// the phases shaded, each injection marked and the thresholds drawn, a
// timeline of the injections and probes as they happened, and tables.
// It fetches nothing.
func HTML(w io.Writer, r Run) error {
	data, err := json.Marshal(chartData(r))
	if err != nil {
		return fmt.Errorf("report: chart data: %w", err)
	}
	v := htmlView{
		Run:      r,
		Events:   r.Timeline.Events(),
		Bars:     bars(r),
		Ticks:    ticks(r.Result),
		UplotJS:  template.JS(uplotJS),
		UplotCSS: template.CSS(uplotCSS),
		PageJS:   template.JS(pageJS),
		PageCSS:  template.CSS(pageCSS),
		Data:     template.JS(data),
		Duration: roundDuration(runDuration(r.Result)),
	}
	return page.Execute(w, v)
}

type htmlView struct {
	Run
	Events   []Event
	Bars     []bar
	Ticks    []tick
	Duration time.Duration
	UplotJS  template.JS
	UplotCSS template.CSS
	PageJS   template.JS
	PageCSS  template.CSS
	Data     template.JS
}

// bar is one row of the timeline chart: an injection or a probe activity,
// placed in percent of the run's span.
type bar struct {
	Label, Title, Class string
	Left, Width         float64
}

// bars places the injections and probe activities on the run's span.
func bars(r Run) []bar {
	start, end := r.Result.StartedAt, r.Result.EndedAt
	span := end.Sub(start)
	if span <= 0 {
		return nil
	}
	pos := func(from, to time.Time) (float64, float64) {
		l := clamp(100 * float64(from.Sub(start)) / float64(span))
		rgt := clamp(100 * float64(to.Sub(start)) / float64(span))
		return round2(l), round2(math.Max(rgt-l, 0.2))
	}
	var out []bar
	for _, in := range r.Timeline.Injections {
		from, to := firstTime(in.At, in.Scheduled), in.RevertedAt
		class := "inj"
		switch {
		case from.IsZero():
			continue
		case to.IsZero():
			// Not reverted: in place to the end of the run.
			class, to = "inj bad", end
		case in.At.IsZero():
			class = "inj unknown"
		}
		l, w := pos(from, to)
		out = append(out, bar{Label: fmt.Sprintf("%s #%d %s", in.Fault, in.N, in.Target), Title: injectionOutcome(in) + " " + heldText(in), Class: class, Left: l, Width: w})
	}
	for _, p := range r.Timeline.Probes {
		to := p.End
		if to.IsZero() {
			to = end
		}
		class := "probe"
		if !p.Passed {
			class = "probe bad"
		}
		l, w := pos(p.Start, to)
		out = append(out, bar{Label: fmt.Sprintf("probe %s (%s)", p.Probe, p.Mode), Title: fmt.Sprintf("%d observations, %d failed %s", p.Observations, p.Failures, p.Error), Class: class, Left: l, Width: w})
	}
	return out
}

// tick is a label of the timeline's time axis, at Left percent.
type tick struct {
	Left  float64
	Label string
}

// ticks are five labels along the run's span.
func ticks(res experiment.Result) []tick {
	span := runDuration(res)
	if span <= 0 {
		return nil
	}
	var out []tick
	for i := range 5 {
		out = append(out, tick{Left: float64(i) * 25, Label: "+" + roundDuration(span*time.Duration(i)/4).String()})
	}
	return out
}

func clamp(v float64) float64 { return math.Min(math.Max(v, 0), 100) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// charts is what the page's script draws: the load series as columns
// (x in Unix seconds), the phases, the injections and the thresholds.
type charts struct {
	X          []float64    `json:"x"`
	Rate       []float64    `json:"rate"`
	ErrorPct   []float64    `json:"errorPct"`
	MeanMs     []float64    `json:"meanMs"`
	MaxMs      []float64    `json:"maxMs"`
	Phases     []phaseSpan  `json:"phases"`
	Injections []marker     `json:"injections"`
	Thresholds []thresholdL `json:"thresholds"`
}

type phaseSpan struct {
	Name string  `json:"name"`
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

type marker struct {
	Label    string  `json:"label"`
	At       float64 `json:"at"`
	Reverted float64 `json:"reverted,omitempty"`
}

// thresholdL is a threshold drawn as a line on one chart ("rate",
// "errors" or "latency"), over its phase or the whole load.
type thresholdL struct {
	Chart  string  `json:"chart"`
	Value  float64 `json:"value"`
	Label  string  `json:"label"`
	Passed bool    `json:"passed"`
	Phase  string  `json:"phase,omitempty"`
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return math.Round(float64(t.UnixMilli())) / 1000
}

func chartData(r Run) charts {
	c := charts{Phases: []phaseSpan{}, Injections: []marker{}, Thresholds: []thresholdL{}}
	for _, in := range r.Timeline.Injections {
		if in.At.IsZero() {
			continue
		}
		c.Injections = append(c.Injections, marker{Label: fmt.Sprintf("%s #%d %s", in.Fault, in.N, in.Target), At: unix(in.At), Reverted: unix(in.RevertedAt)})
	}
	l := r.Result.Load
	if l == nil || l.Series == nil || len(l.Series.Points) == 0 {
		return c
	}
	s := l.Series
	step := s.Step.D()
	if step <= 0 {
		step = time.Second
	}
	perSec := float64(time.Second) / float64(step)
	for i, p := range s.Points {
		c.X = append(c.X, unix(s.Start.Add(time.Duration(i)*step)))
		c.Rate = append(c.Rate, round2(float64(p.Requests)*perSec))
		errPct, mean, maxMs := 0.0, 0.0, 0.0
		if p.Requests > 0 {
			errPct = round2(100 * float64(p.Failures) / float64(p.Requests))
			mean, maxMs = round2(p.MeanMs), round2(p.MaxMs)
		}
		c.ErrorPct = append(c.ErrorPct, errPct)
		c.MeanMs = append(c.MeanMs, mean)
		c.MaxMs = append(c.MaxMs, maxMs)
	}
	first, last := c.X[0], unix(s.Start.Add(time.Duration(len(s.Points))*step))
	chaosFrom, chaosTo := phaseBounds(r.Timeline)
	switch {
	case chaosFrom.IsZero():
		c.Phases = append(c.Phases, phaseSpan{Name: experiment.LoadPhaseBaseline, From: first, To: last})
	default:
		cf := unix(chaosFrom)
		c.Phases = append(c.Phases, phaseSpan{Name: experiment.LoadPhaseBaseline, From: first, To: cf})
		if chaosTo.IsZero() {
			c.Phases = append(c.Phases, phaseSpan{Name: experiment.LoadPhaseChaos, From: cf, To: last})
		} else {
			ct := unix(chaosTo)
			c.Phases = append(c.Phases, phaseSpan{Name: experiment.LoadPhaseChaos, From: cf, To: ct},
				phaseSpan{Name: experiment.LoadPhaseRecovery, From: ct, To: last})
		}
	}
	for _, t := range l.Thresholds {
		th, err := experiment.ParseThreshold(t.Metric, t.Expression)
		if err != nil {
			continue
		}
		line := thresholdL{Value: th.Value, Label: t.Metric + " " + t.Expression, Passed: t.Passed, Phase: th.Phase}
		switch {
		case th.Metric == experiment.MetricReqDuration:
			line.Chart = "latency"
		case th.Metric == experiment.MetricReqFailed:
			line.Chart, line.Value = "errors", 100*th.Value
		case th.Metric == experiment.MetricReqs && th.Aggregate == "rate":
			line.Chart = "rate"
		default:
			continue // a count has no line on a chart over time
		}
		c.Thresholds = append(c.Thresholds, line)
	}
	return c
}

// phaseBounds is chaos as the load judged it: from the first inject taking
// effect to the last revert done (zero to: not every injection was
// reverted, so chaos lasts to the end).
func phaseBounds(tl Timeline) (from, to time.Time) {
	for _, in := range tl.Injections {
		if !in.At.IsZero() && (from.IsZero() || in.At.Before(from)) {
			from = in.At
		}
	}
	if from.IsZero() {
		return from, to
	}
	for _, in := range tl.Injections {
		if in.At.IsZero() && in.RevertedAt.IsZero() {
			continue
		}
		if in.RevertedAt.IsZero() {
			return from, time.Time{}
		}
		if in.RevertedAt.After(to) {
			to = in.RevertedAt
		}
	}
	return from, to
}
