package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// recoverySpec kills the target selected by selector (a YAML flow map),
// restarts it with restart, and gives it an EOT window of about 10 s
// (10 retries 1 s apart) to serve again.
func recoverySpec(name, selector string, tg target, restart []string) string {
	return fmt.Sprintf(`kind: Experiment
metadata:
  name: %s
spec:
  hypothesis: the target serves again within 10s of its restart
  faults:
    - name: kill-target
      duration: 2s
      process:
        selector: %s
        signal: SIGKILL
        restart: [%s]
        restartTimeout: 20s
  probes:
    - name: serving-before
      mode: SOT
      http: {url: "http://%s/healthz"}
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 1s
      retries: 10
      http: {url: "http://%s/healthz"}
`, name, selector, quoteAll(restart), tg.addr, tg.addr)
}

// uniqueTarget copies the demo target to a name no other process has (at
// most 15 bytes, so it is the whole /proc/PID/comm), for a name selector.
func uniqueTarget(t *testing.T, bin, tag string) string {
	t.Helper()
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("rcv%s%x", tag, os.Getpid()&0xffffff)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRecoveryMeasuredFromTheRevert: a target killed and restarted with a
// serve delay is judged by the EOT probe, whose window starts at the
// revert (once the restarted process runs), for every selector kind: 30 s
// to serve fails a 10 s window, 1 s passes it. Neither is Errored: a
// process alive but slow is not "left behind".
func TestRecoveryMeasuredFromTheRevert(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-recovery"
	e.inProcessWorker(t, queue)

	for _, delay := range []struct {
		name  string
		serve time.Duration
		want  experiment.Verdict
	}{
		{"slow", 30 * time.Second, experiment.VerdictFailed},
		{"fast", time.Second, experiment.VerdictPassed},
	} {
		for _, kind := range []string{"pidFile", "name", "port"} {
			t.Run(kind+"/"+delay.name, func(t *testing.T) {
				t.Parallel()
				bin := targetBin
				if kind == "name" {
					bin = uniqueTarget(t, targetBin, delay.name[:1])
				}
				tg := startTarget(t, bin)
				selector := map[string]string{
					"pidFile": fmt.Sprintf("{pidFile: %q}", tg.pidfile),
					"name":    fmt.Sprintf("{name: %q}", filepath.Base(bin)),
					"port":    fmt.Sprintf("{port: %d}", tg.port),
				}[kind]
				restart := append(tg.argv(), "-serve-delay", delay.serve.String())
				spec := recoverySpec("recovery-"+strings.ToLower(kind)+"-"+delay.name, selector, tg, restart)

				_, res := e.runToEnd(t, decode(t, spec), queue, 3*time.Minute)

				if res.Verdict != delay.want {
					t.Fatalf("verdict %s, want %s; reasons %v", res.Verdict, delay.want, res.Reasons)
				}
				if f := res.Faults[0]; f.Injections != 1 || f.Reverts != 1 {
					t.Fatalf("fault %+v, want 1 injection and 1 revert", f)
				}
				if len(res.Probes) != 2 || res.Probes[1].Name != "serving-after" ||
					res.Probes[1].Passed != (delay.want == experiment.VerdictPassed) {
					t.Fatalf("probes %+v, want serving-after passed=%t", res.Probes, delay.want == experiment.VerdictPassed)
				}
				if got := countLines(t, tg.starts); got != 2 {
					t.Fatalf("target started %d times, want 2 (the first start and exactly one restart)", got)
				}
			})
		}
	}
}
