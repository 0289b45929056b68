package main

import (
	"bytes"
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
