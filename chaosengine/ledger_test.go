package chaosengine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A start counts at the time the target wrote, not when the sampler read
// it: a sampler late on a busy machine must not move a start into the next
// experiment's window.
func TestStartCountsWhenTheTargetStarted(t *testing.T) {
	dir := t.TempDir()
	tg := newTarget(0, "target", dir, 1)
	written := time.Now().Add(-3 * time.Second).UTC()
	line := fmt.Sprintf("%s pid %d addr 127.0.0.1:1\n", written.Format(time.RFC3339Nano), os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, "target-0.starts"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	window := time.Now() // an experiment starts; the sampler reads only now
	tg.sampleOnce()
	if evs := tg.Events(window); len(evs) != 0 {
		t.Fatalf("the start written before the window counts in it: %+v", evs)
	}
	if evs := tg.Events(written.Add(-time.Millisecond)); len(evs) != 1 || evs[0].Kind != EvStart || !evs[0].At.Equal(written) {
		t.Fatalf("events %+v, want one start at %s", evs, written)
	}
}
