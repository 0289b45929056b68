package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// TestServerFlagsOnlyWhereTheyApply: --port, --ui-port and --state-dir
// are on run and dev only; elsewhere they are hidden, and --port still
// finds a local dev server.
func TestServerFlagsOnlyWhereTheyApply(t *testing.T) {
	for _, c := range []struct {
		cmd  string
		want bool
	}{{"run", true}, {"dev", true}, {"validate", false}, {"status", false}, {"abort", false}, {"worker", false}, {"cleanup", false}, {"version", false}} {
		stdout, _, _ := execute(t, c.cmd, "--help")
		for _, flag := range []string{"--port", "--ui-port", "--state-dir"} {
			if got := strings.Contains(stdout, flag+" "); got != c.want {
				t.Errorf("%s --help shows %s: %v, want %v", c.cmd, flag, got, c.want)
			}
		}
		if !strings.Contains(stdout, "Examples:") {
			t.Errorf("%s --help has no examples", c.cmd)
		}
	}
	// Still accepted (pflag says on os.Stderr that they are deprecated).
	port := freePort(t)
	_, stderr, code := execute(t, "--port", fmt.Sprint(port), "--state-dir", t.TempDir(), "status", "some-id")
	want := fmt.Sprintf("no Temporal server at 127.0.0.1:%d: start one with `tempest dev`, or pass --address", port)
	if code != exitErrored || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, stderr %q, want %q", code, stderr, want)
	}
}

// TestRunSaysWhichServerAndWorker: run names the server it uses and says
// whether a worker polls the task queue, for --address and for a server
// found on --port.
func TestRunSaysWhichServerAndWorker(t *testing.T) {
	srv, _ := devtest.Start(t)
	spec := writeFile(t, "no-worker.yaml", strings.Replace(noWorkerSpec, "        selector: {port: 1}\n", "        selector: {port: 1}\n        restart: [./t]\n", 1))
	addr := srv.FrontendAddress()
	_, stderr, code := execute(t, "--address", addr, "--task-queue", "say-which", "run", "--detach", spec)
	want := fmt.Sprintf("using the Temporal server at %s (--address; no Tempest worker polls say-which: start one with `tempest worker --address %s`)", addr, addr)
	if code != exitPassed || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, stderr %q\nwant %q", code, stderr, want)
	}
	port := addr[strings.LastIndex(addr, ":")+1:]
	_, stderr, code = execute(t, "--task-queue", "say-which", "run", "--port", port, "--detach", spec)
	want = fmt.Sprintf("using the Temporal server at 127.0.0.1:%s (already running: a tempest dev, or another server on --port %s; no Tempest worker polls say-which", port, port)
	if code != exitPassed || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, stderr %q\nwant %q", code, stderr, want)
	}
}

func TestEmbeddedPortInUseNamesTheFlag(t *testing.T) {
	srv, _ := devtest.Start(t)
	addr := srv.FrontendAddress()
	port := addr[strings.LastIndex(addr, ":")+1:]
	spec := writeFile(t, "no-worker.yaml", noWorkerSpec)
	// The frontend port is free; the UI port is the running server's.
	_, stderr, code := execute(t, "run", "--port", fmt.Sprint(freePort(t)), "--ui-port", port, "--state-dir", t.TempDir(), spec)
	want := fmt.Sprintf("cannot start the embedded Temporal server: 127.0.0.1:%s (--ui-port) is in use; pick another with --ui-port", port)
	if code != exitErrored || !strings.Contains(stderr, want) || strings.Count(stderr, "devserver:") > 0 {
		t.Fatalf("exit %d, stderr %q\nwant %q", code, stderr, want)
	}
}

// TestExperimentWatch: one line when an experiment starts, one when it
// ends (here terminated, without a verdict); nothing twice.
func TestExperimentWatch(t *testing.T) {
	_, c := devtest.Start(t)
	var out bytes.Buffer
	w := newExperimentWatch(c, "default", "http://ui", &out)
	exp, err := experiment.Decode("no-worker.yaml", []byte(noWorkerSpec))
	if err != nil {
		t.Fatal(err)
	}
	run, err := starter.Start(context.Background(), c, *exp, starter.Options{TaskQueue: "watch-no-worker"})
	if err != nil {
		t.Fatal(err)
	}
	waitLine := func(want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in %q", want, out.String())
			}
			w.poll(context.Background())
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitLine("experiment no-worker started: workflow " + run.ID + " http://ui/namespaces/default/workflows/" + run.ID + "/" + run.RunID + "/history")
	if err := c.TerminateWorkflow(context.Background(), run.ID, run.RunID, "test"); err != nil {
		t.Fatal(err)
	}
	waitLine("experiment no-worker ended Terminated without a verdict after ")
	w.poll(context.Background())
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Fatalf("%d lines, want 2:\n%s", n, out.String())
	}
}

func TestExpectedLogsAreDebug(t *testing.T) {
	var b bytes.Buffer
	l := newLogger(&b, slog.LevelWarn)
	l.Warn("GetHistory page size is larger than threshold", "wf-size", 1000)
	l.Error("service failures", "grpc_code", grpcCode("Unimplemented"))
	l.Error("Activity error.", "ActivityType", "ProbeWatch", "Error", temporal.NewCanceledError("partial"))
	l.Error("Activity error.", "ActivityType", "ProbeWatch", "Error", fmt.Errorf("wrapped: %w", context.Canceled))
	l.Warn("RecordActivityHeartbeat with error", "ActivityType", "WatchProbe", "Error", temporal.NewCanceledError())
	if b.Len() != 0 {
		t.Fatalf("expected records logged at warn:\n%s", b.String())
	}
	l.Error("service failures", "grpc_code", grpcCode("Internal"))
	l.Error("Activity error.", "Error", errors.New("boom"))
	l.Warn("something else")
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Fatalf("%d lines, want 3:\n%s", n, b.String())
	}
	b.Reset()
	newLogger(&b, slog.LevelDebug).Warn("GetHistory page size is larger than threshold")
	if !strings.Contains(b.String(), "level=DEBUG") {
		t.Fatalf("at debug: %q", b.String())
	}
}

// grpcCode stands for the server's codes.Code attribute: a Stringer.
type grpcCode string

func (c grpcCode) String() string { return string(c) }
