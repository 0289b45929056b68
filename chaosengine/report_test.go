package chaosengine

import (
	"testing"
	"time"
)

func TestRetryInterval(t *testing.T) {
	for n, want := range map[int32]time.Duration{1: 0, 2: time.Second, 3: 2 * time.Second, 5: 8 * time.Second, 6: 16 * time.Second, 7: 30 * time.Second, 40: 30 * time.Second} {
		if got := retryInterval(n); got != want {
			t.Errorf("retryInterval(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestOverlap(t *testing.T) {
	s := time.Second
	outages := []Outage{
		{Kind: ActCutReset, From: 100 * s, To: 120 * s},
		{Kind: ActFreeze, From: 200 * s, To: 205 * s},
	}
	for _, c := range []struct {
		from, to time.Duration
		hit      bool
	}{
		{90 * s, 99 * s, false},
		{90 * s, 101 * s, true},  // the cut begins in the window
		{110 * s, 115 * s, true}, // within the cut
		{125 * s, 127 * s, true}, // workers still coming back
		{131 * s, 137 * s, false},
		{198 * s, 201 * s, true},
		{206 * s, 210 * s, false}, // a freeze has no aftermath
	} {
		if got := overlap(outages, c.from, c.to) != ""; got != c.hit {
			t.Errorf("overlap [%s, %s] = %v, want %v", c.from, c.to, got, c.hit)
		}
	}
}

// A run Errored only because a watching probe made no observation is a
// right verdict when the harness's own chaos touched it, and a wrong one
// otherwise.
func TestBlindVerdictNeedsTheHarnessChaos(t *testing.T) {
	start := time.Now()
	h := &harness{start: start, outages: []Outage{{Kind: ActCutReset, From: 10 * time.Second, To: 20 * time.Second}}, kills: []time.Duration{40 * time.Second}}
	at := func(d time.Duration) time.Time { return start.Add(d) }
	blind := []string{`probe "serving" made no observation during the chaos window`}
	for _, c := range []struct {
		name     string
		from, to time.Duration
		reasons  []string
		want     bool
	}{
		{"overlaps a cut", 15 * time.Second, 25 * time.Second, blind, true},
		{"holds a kill", 35 * time.Second, 45 * time.Second, blind, true},
		{"untouched", 60 * time.Second, 70 * time.Second, blind, false},
		{"another reason too", 15 * time.Second, 25 * time.Second, append([]string{"load could not run"}, blind...), false},
	} {
		got := blindOnly(c.reasons) && h.disturbed(at(c.from), at(c.to))
		if got != c.want {
			t.Errorf("%s: blind %v, want %v", c.name, got, c.want)
		}
	}
}
