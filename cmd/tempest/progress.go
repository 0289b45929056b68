package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/workflows"
)

// plan is what the spec says of an experiment's length, as the workflow
// derives it: the chaos window, and the probes before and after it at
// their shortest (initial delay, first check passing) and longest (every
// retry and timeout).
type plan struct {
	window           time.Duration
	startMin, endMin time.Duration
	startMax, endMax time.Duration
}

func newPlan(exp experiment.Experiment) plan {
	// ApplyDefaults writes through the spec's slices and pointers: work on
	// a deep copy, so the caller's experiment is left as it is.
	if b, err := json.Marshal(exp); err == nil {
		var c experiment.Experiment
		if json.Unmarshal(b, &c) == nil {
			exp = c
		}
	}
	experiment.ApplyDefaults(&exp)
	p := plan{window: exp.ChaosWindow().D(), startMax: exp.StartBudget().D(), endMax: exp.EndBudget().D()}
	for _, pr := range exp.Spec.Probes {
		if pr.RunsAtStart() {
			p.startMin = max(p.startMin, pr.InitialDelay.D())
		}
		if pr.RunsAtEnd() {
			p.endMin = max(p.endMin, pr.InitialDelay.D())
		}
	}
	return p
}

// estimate is the planned length of the whole run, expected (probes
// passing at once) and at most (the workflow's PlannedTotal once the
// chaos window has begun), given the status (nil: unknown) and the time
// elapsed. Before the chaos window the probes before it are counted as
// taking at least the time elapsed.
func (p plan) estimate(st *experiment.Status, elapsed time.Duration) (expected, atMost time.Duration) {
	if st != nil && st.PlannedTotal > 0 {
		chaosAt := max(st.PlannedTotal-p.window-p.endMax, 0)
		return chaosAt + p.window + p.endMin, st.PlannedTotal
	}
	return max(elapsed, p.startMin) + p.window + p.endMin, max(elapsed, p.startMax) + p.window + p.endMax
}

// planText says what the progress line's estimate includes.
func planText(p plan) string {
	expected, atMost := p.estimate(nil, 0)
	return fmt.Sprintf("planned: ~%s with every probe passing at its first check (the %s chaos window and the probes' initial delays), at most %s with every probe retry and timeout; reverts not counted",
		durationText(expected.Seconds()), durationText(p.window.Seconds()), durationText(atMost.Seconds()))
}

// progressLine is the one line of live progress: elapsed of planned,
// phase, faults and their injections, each probe's pass rate, the load;
// within width runes when it can, by counting the targets in place
// instead of naming them, then by leaving the faults out.
func progressLine(v statusView, width int) string {
	line := progressLineListing(v, 3)
	if width <= 0 || len([]rune(line)) <= width {
		return line
	}
	if line = progressLineListing(v, 0); len([]rune(line)) <= width {
		return line
	}
	v.Faults, v.ActiveFaults = nil, nil
	return progressLineListing(v, 0)
}

func progressLineListing(v statusView, listed int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] ", elapsedText(v, false))
	if v.Phase != "" {
		b.WriteString(string(v.Phase))
	} else {
		b.WriteString("phase unknown")
	}
	if f := faultsText(v, listed); f != "" {
		b.WriteString(" | " + f)
	}
	var probes []string
	for _, p := range v.Probes {
		if p.Observations == 0 {
			probes = append(probes, p.Name+" -")
			continue
		}
		probes = append(probes, fmt.Sprintf("%s %s/%d", p.Name, pct(p.PassPercent), p.Observations))
	}
	if len(probes) > 0 {
		b.WriteString(" | probes " + strings.Join(probes, ", "))
	}
	if l := v.Load; l != nil {
		fmt.Fprintf(&b, " | %.1f req/s, errors %s, p95 %s", l.RatePerSecond, pct(l.ErrorPercent), millis(l.P95Ms))
	}
	if v.Aborting {
		b.WriteString(" | aborting: " + v.AbortReason)
	}
	if v.Note != "" {
		b.WriteString(" | no worker answers the status query")
	}
	return b.String()
}

// Progress cadence: a terminal's line is redrawn every second; other
// outputs (a file, a pipe, CI) get a plain line every 5 s, and one at each
// phase change.
const (
	ttyEvery   = time.Second
	plainEvery = 5 * time.Second
)

// progressPrinter writes progress lines: on a terminal one line redrawn in
// place (carriage return, erase line), elsewhere plain lines at most every
// plainEvery. Messages (say) are written on lines of their own. Callers
// pass the time, so tests drive it with a fake clock.
type progressPrinter struct {
	w   io.Writer
	tty bool
	// width bounds a terminal line, which must not wrap to be redrawn.
	width     int
	last      time.Time
	lastPhase experiment.Phase
	// drawn: a redrawn line is on the terminal, not yet ended.
	drawn bool
	// injections is the most injections seen per fault: a repeating
	// fault's count leaves the timeline when its FaultWorkflow closes.
	injections map[string]int
}

// newProgressPrinter writes to w, redrawing when w is a terminal, whose
// width is $COLUMNS, else what the terminal says, else 80.
func newProgressPrinter(w io.Writer) *progressPrinter {
	f, ok := w.(*os.File)
	p := &progressPrinter{w: w, tty: ok && isTerminal(f), width: 80}
	if !p.tty {
		return p
	}
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 20 {
		p.width = int(ws.Col)
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		p.width = n
	}
	return p
}

// show writes the line of v at now, if it is due.
func (p *progressPrinter) show(now time.Time, v statusView) {
	if p.injections == nil {
		p.injections = map[string]int{}
	}
	for i, f := range v.Faults {
		v.Faults[i].Injections = max(f.Injections, p.injections[f.Name])
		p.injections[f.Name] = v.Faults[i].Injections
	}
	if p.tty {
		line := progressLine(v, p.width-1)
		if r := []rune(line); len(r) > p.width-1 {
			line = string(r[:p.width-2]) + "…"
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.drawn = true
		return
	}
	if !p.last.IsZero() && now.Sub(p.last) < plainEvery && v.Phase == p.lastPhase {
		return
	}
	p.last, p.lastPhase = now, v.Phase
	fmt.Fprintln(p.w, progressLine(v, 0))
}

// say writes msg on a line of its own, ending a redrawn line first.
func (p *progressPrinter) say(msg string) {
	p.end()
	fmt.Fprintln(p.w, msg)
}

// end leaves the redrawn line, if any, on the terminal as it is.
func (p *progressPrinter) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// errDetached: a second Ctrl-C left the experiment running.
var errDetached = errors.New("detached")

// statusWait bounds each poll of the progress line, so a missing worker
// delays a line, never the wait's reaction to Ctrl-C.
const statusWait = 3 * time.Second

// waitWithProgress shows the progress line of the run (started with exp
// at since, by this process's clock) until it ends, and returns its
// result. The first interrupt on sigs aborts the experiment (everything
// is reverted): through the abort Update when a worker answers within
// abortWait, else through the abort Signal, saying so; the wait goes on
// for the result. The second interrupt returns errDetached at once,
// leaving the experiment running.
func waitWithProgress(ctx context.Context, run *starter.Run, exp *experiment.Experiment, since time.Time, p *progressPrinter, sigs <-chan os.Signal, abortWait time.Duration) (experiment.Result, error) {
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	defer p.end()
	type outcome struct {
		res experiment.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := run.Result(bg)
		done <- outcome{res, err}
	}()
	if exp != nil {
		p.say(planText(newPlan(*exp)))
	}
	polls := make(chan statusInput)
	go pollProgress(bg, run, exp, since, polls)
	type abortOutcome struct {
		ans workflows.AbortAnswer
		err error
	}
	aborted := make(chan abortOutcome, 1)
	interrupts := 0
	interrupt := func() {
		interrupts++
		if interrupts > 1 {
			return
		}
		p.say("interrupted: aborting the experiment and reverting every fault (Ctrl-C again to detach)...")
		go func() {
			ans, err := run.AbortWithin(bg, "interrupted from the tempest CLI", abortWait)
			aborted <- abortOutcome{ans, err}
		}()
	}
	for {
		select {
		case o := <-done:
			return o.res, o.err
		case <-sigs:
			if interrupt(); interrupts > 1 {
				return experiment.Result{}, errDetached
			}
		case a := <-aborted:
			var noAnswer *starter.NoAnswerError
			switch {
			case errors.As(a.err, &noAnswer):
				p.say(a.err.Error())
				p.say("waiting for the experiment to end (Ctrl-C again to detach)...")
			case a.err != nil:
				p.say("abort: " + a.err.Error())
			default:
				p.say(fmt.Sprintf("will revert: %v", a.ans.WillRevert))
			}
		case in := <-polls:
			now := time.Now()
			p.show(now, newStatusView(in, now))
		}
	}
}

// pollProgress reads, every ttyEvery, what the server says of the run
// (its watched probes' and load's heartbeats) and what the status and
// timeline queries answer, and sends it on out, until ctx is done or the
// run has closed.
func pollProgress(ctx context.Context, run *starter.Run, exp *experiment.Experiment, since time.Time, out chan<- statusInput) {
	tick := time.NewTicker(ttyEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		in, err := pollOnce(ctx, run)
		if err != nil {
			continue
		}
		if !in.desc.Running {
			return
		}
		in.exp, in.since = exp, since
		select {
		case out <- in:
		case <-ctx.Done():
			return
		}
	}
}

// pollOnce reads the run once, each call bounded by statusWait; the error
// says the server could not be asked. A query no worker answered is
// in.queryErr.
func pollOnce(ctx context.Context, run *starter.Run) (in statusInput, err error) {
	qctx, cancel := context.WithTimeout(ctx, statusWait)
	defer cancel()
	desc, err := run.Describe(qctx)
	if err != nil {
		return in, err
	}
	in.desc = desc
	if !desc.Running {
		return in, nil
	}
	st, err := run.Status(qctx)
	if err != nil {
		if ctx.Err() != nil {
			return in, ctx.Err()
		}
		in.queryErr = err
		var deadline *serviceerror.DeadlineExceeded
		if qctx.Err() != nil || errors.As(err, &deadline) {
			in.queryErr = context.DeadlineExceeded // no worker answered within statusWait
		}
		return in, nil
	}
	in.status = &st
	if tl, err := run.Timeline(qctx, desc.Children); err == nil {
		in.timeline = &tl
	}
	return in, nil
}
