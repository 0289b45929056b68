package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// progressFrames drives a printer with a fake clock: one status a second
// for 12 s, the phase changing to steady-state-after at 9 s, and a message
// at 4 s.
func progressFrames(p *progressPrinter) {
	for i := 0; i <= 12; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		in := runningInput()
		if i >= 9 {
			in.status.Phase, in.status.ActiveFaults = experiment.PhaseEOT, nil
			in.timeline.Intervals = in.timeline.Intervals[:1]
			in.desc.Load = nil
		}
		in.since = t0
		p.show(now, newStatusView(in, now))
		if i == 4 {
			p.say("interrupted: aborting the experiment and reverting every fault (Ctrl-C again to detach)...")
		}
	}
	p.end()
}

func TestProgressGolden(t *testing.T) {
	var tty, plain bytes.Buffer
	progressFrames(&progressPrinter{w: &tty, tty: true, width: 200})
	progressFrames(&progressPrinter{w: &plain, width: 200})
	golden(t, "progress-tty.golden", tty.Bytes())
	golden(t, "progress-plain.golden", plain.Bytes())
}

// TestProgressLineKeepsProbesAndLoad: on a narrow terminal the targets
// in place are counted, then the faults left out, before the probes and
// the load would be cut.
func TestProgressLineKeepsProbesAndLoad(t *testing.T) {
	v := newStatusView(runningInput(), t0.Add(time.Second))
	full := progressLine(v, 0)
	for _, tc := range []struct {
		width int
		want  string
	}{
		{len(full), "in place on pid/102, pid/103 |"},
		{len(full) - 1, "in place on 2 targets |"},
		{110, "chaos | probes serving"},
	} {
		line := progressLine(v, tc.width)
		if !strings.Contains(line, tc.want) || !strings.HasSuffix(line, "p95 100ms") || len(line) > tc.width {
			t.Errorf("width %d: %q, want %q in it and the load at its end", tc.width, line, tc.want)
		}
	}
}

// TestProgressLineFitsTheTerminal: a redrawn line must not wrap.
func TestProgressLineFitsTheTerminal(t *testing.T) {
	var b bytes.Buffer
	p := &progressPrinter{w: &b, tty: true, width: 40}
	in := runningInput()
	p.show(t0, newStatusView(in, t0.Add(time.Second)))
	line := bytes.TrimPrefix(b.Bytes(), []byte("\r\x1b[K"))
	if n := len([]rune(string(line))); n > 39 {
		t.Fatalf("line of %d runes on a 40-column terminal: %q", n, line)
	}
}

func TestPlanText(t *testing.T) {
	want := "planned: ~8.5s with every probe passing at its first check (the 7.5s chaos window and the probes' initial delays), at most 26s with every probe retry and timeout; reverts not counted"
	if got := planText(newPlan(*sampleExperiment())); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
