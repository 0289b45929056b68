package load

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// crashChildEnv makes the test binary act as a load worker that prints
// every heartbeat as a JSON line, until it is killed.
const crashChildEnv = "TEMPEST_LOAD_CRASH_CHILD_URL"

func crashSpec(url string) experiment.Load {
	return constantLoad(url+"/?seq={{seq}}", "100/s", 6*time.Second)
}

func TestResumeAfterKill9(t *testing.T) {
	if url := os.Getenv(crashChildEnv); url != "" {
		enc := json.NewEncoder(os.Stdout)
		_, err := Run(t.Context(), crashSpec(url), Options{OnProgress: func(p Progress) { _ = enc.Encode(p) }})
		fmt.Fprintln(os.Stderr, "child finished without being killed:", err)
		os.Exit(3)
	}
	tg := startTarget(t, func(tg *target) { tg.keepBody = true })
	child := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestResumeAfterKill9$", "-test.count=1")
	child.Env = append(os.Environ(), crashChildEnv+"="+tg.URL)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatalf("start the child worker: %v", err)
	}
	time.AfterFunc(2500*time.Millisecond, func() { _ = child.Process.Signal(syscall.SIGKILL) })
	var last Progress
	beats := 0
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("heartbeat line %q: %v", sc.Text(), err)
		}
		beats++
	}
	err = child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v", err)
	}
	if beats < 2 || last.Elapsed.D() < time.Second {
		t.Fatalf("%d heartbeats before the kill, last at %s", beats, last.Elapsed)
	}
	sentBeforeKill := tg.hits.Load()

	rep, err := Run(t.Context(), crashSpec(tg.URL), Options{Resume: &last})
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	t.Logf("killed after %d heartbeats (last %s, %d requests recorded; server had %d); resumed total %d, server total %d",
		beats, last.Elapsed, last.Total().Requests, sentBeforeKill, rep.Requests, tg.hits.Load())
	if !within(rep.Requests, 600, 0.02) {
		t.Fatalf("total after kill -9 and resume: %d, want 600 within 2%%", rep.Requests)
	}
	if tg.hits.Load() < rep.Requests {
		t.Fatalf("report counts %d requests but the server saw %d", rep.Requests, tg.hits.Load())
	}
	seen := map[string]bool{}
	for _, q := range tg.queries {
		if seen[q] {
			t.Fatalf("{{seq}} repeated across the crash: %s", q)
		}
		seen[q] = true
	}
}
