package chaosengine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// logWriter sends the harness's log to the test's log, line by line.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestEngineUnderChaosSmall is the harness's small run (CI): a few
// experiments of every kind across two worker processes, while workers are
// killed and frozen, the server is killed and restarted, the network is
// cut, experiments are aborted and terminated and the workers are rolled
// to another build. Any violation fails it; anything it needs that cannot
// start fails it too (it never skips).
func TestEngineUnderChaosSmall(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	bins, err := Build(ctx, "..", filepath.Join(dir, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, Config{
		Bins: bins, Dir: dir, Seed: 20261202, Targets: 3, Workers: 2,
		WorkerKills: 2, ServerRestarts: 1, NetworkCuts: 1, Freezes: 1, Aborts: 2, Terminates: 1, Upgrades: 1,
		CutMin: 10 * time.Second, CutMax: 12 * time.Second,
		FreezeMin: 3 * time.Second, FreezeMax: 6 * time.Second,
		GapMin: 3 * time.Second, GapMax: 6 * time.Second,
		Log: logWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep.WriteSummary(&sb)
	t.Log("\n" + sb.String())
	if err := rep.WriteJSON(filepath.Join(dir, "report.json")); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CHAOSENGINE_REPORT"); out != "" {
		_ = rep.WriteJSON(out)
	}
	for kind, want := range map[string]int{ActWorkerKill: 2, ActServerRestart: 1, ActAbort: 2, ActTerminate: 1, ActUpgrade: 1, ActFreeze: 1} {
		if got := rep.Actions[kind]; got != want {
			t.Errorf("%s happened %d times, want %d", kind, got, want)
		}
	}
	if rep.Actions[ActCutBlackhole]+rep.Actions[ActCutReset] != 1 {
		t.Errorf("network cuts: %v, want 1", rep.Actions)
	}
	if rep.Experiments < 5 {
		t.Errorf("only %d experiments ran", rep.Experiments)
	}
	if !rep.OK() {
		for _, r := range rep.Runs {
			if len(r.Violations) > 0 {
				t.Logf("%s: status %s verdict %s reasons %v injections %d abort %q terminated %v events %+v",
					r.ID, r.Status, r.Verdict, r.Reasons, r.Injections, r.Abort, r.Terminated, r.Events)
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "histories", "*.txt"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			t.Logf("history %s:\n%s", filepath.Base(f), b)
		}
		t.Fatalf("%d violation(s):\n%s", len(rep.Violations), strings.Join(rep.Violations, "\n"))
	}
}
