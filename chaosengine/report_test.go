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
