package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// syncBuffer is a bytes.Buffer a command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background runs the CLI in-process under ctx; the channel gets its exit
// code when it returns.
func background(ctx context.Context, stdout, stderr *syncBuffer, args ...string) <-chan int {
	done := make(chan int, 1)
	cmd := newRootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	go func() {
		err := cmd.ExecuteContext(ctx)
		code := exitPassed
		if err != nil {
			code = exitErrored
			var ee *exitError
			if errors.As(err, &ee) {
				code = ee.code
			}
			fmt.Fprint(stderr, err.Error())
		}
		done <- code
	}()
	return done
}

// waitOutput waits until re matches the output and returns the match.
func waitOutput(t *testing.T, within time.Duration, out *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %q within %v in output:\n%s", re, within, out.String())
	return nil
}

// guardInterrupts keeps SIGINT from killing the test binary while the
// test sends it to the CLI running in-process.
func guardInterrupts(t *testing.T) {
	t.Helper()
	guard := make(chan os.Signal, 8)
	signal.Notify(guard, os.Interrupt)
	t.Cleanup(func() { signal.Stop(guard) })
}

func interrupt(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

// abortSignalled reports whether the run's history holds the abort Signal.
func abortSignalled(t *testing.T, c client.Client, id string) bool {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == "abort" {
			return true
		}
	}
	return false
}

// endsAborted starts a worker on queue and checks that the experiment,
// aborted by the Signal while no worker ran, now ends Aborted.
func endsAborted(t *testing.T, c client.Client, queue, id string) {
	t.Helper()
	workertest.Start(t, c, queue, worker.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := starter.Attach(c, id, "").Result(ctx)
	if err != nil {
		t.Fatalf("result once a worker runs: %v", err)
	}
	if res.Verdict != experiment.VerdictAborted {
		t.Fatalf("verdict %s once a worker runs, want Aborted; reasons %v", res.Verdict, res.Reasons)
	}
}

const noWorkerSpec = `kind: Experiment
metadata:
  name: no-worker
spec:
  faults:
    - name: kill
      startAfter: 1m
      duration: 5s
      process:
        selector: {port: 1}
`

// TestRunCtrlCWithoutWorker: no worker polls the experiment's queue. The
// first Ctrl-C falls back to the abort Signal after --abort-timeout and
// says so, the wait goes on, the second Ctrl-C detaches naming the
// workflow and the commands to follow and abort it; a worker started
// afterwards ends the experiment Aborted. It also checks the workflow-task
// timeout the starter sets.
func TestRunCtrlCWithoutWorker(t *testing.T) {
	srv, c := devtest.Start(t)
	guardInterrupts(t)
	const queue = "cli-ctrl-c-no-worker"
	spec := writeFile(t, "no-worker.yaml", noWorkerSpec)
	var stdout, stderr syncBuffer
	done := background(t.Context(), &stdout, &stderr, "--address", srv.FrontendAddress(), "--task-queue", queue,
		"run", "--abort-timeout", "1s", spec)
	id := waitOutput(t, 30*time.Second, &stdout, regexp.MustCompile(`started: workflow (\S+)`))[1]

	desc, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.GetExecutionConfig().GetDefaultWorkflowTaskTimeout().AsDuration(); got != starter.WorkflowTaskTimeout {
		t.Fatalf("workflow task timeout %v, want %v", got, starter.WorkflowTaskTimeout)
	}

	interrupt(t)
	waitOutput(t, 15*time.Second, &stdout, regexp.MustCompile(regexp.QuoteMeta(
		"no worker answered the abort within 1s; sent the abort signal: the experiment reverts as soon as a worker runs")))
	if !abortSignalled(t, c, id) {
		t.Fatal("no abort signal in the history")
	}
	select {
	case code := <-done:
		t.Fatalf("returned (exit %d) before the second Ctrl-C\n%s%s", code, stdout.String(), stderr.String())
	case <-time.After(500 * time.Millisecond):
	}

	interrupt(t)
	select {
	case code := <-done:
		if code != exitErrored {
			t.Fatalf("exit %d after detaching, want %d", code, exitErrored)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the second Ctrl-C did not detach within 5s\n%s", stdout.String())
	}
	for _, want := range []string{"detached", "tempest status " + id, "tempest abort " + id} {
		if !strings.Contains(stderr.String(), want) {
			t.Fatalf("detach message %q does not say %q", stderr.String(), want)
		}
	}
	endsAborted(t, c, queue, id)
}

// TestAbortWithoutWorker: `tempest abort` with no worker polling says so
// after --timeout, sends the Signal and exits non-zero; a worker started
// afterwards ends the experiment Aborted.
func TestAbortWithoutWorker(t *testing.T) {
	srv, c := devtest.Start(t)
	const queue = "cli-abort-no-worker"
	exp, err := experiment.Decode("no-worker.yaml", []byte(noWorkerSpec))
	if err != nil {
		t.Fatal(err)
	}
	run, err := starter.Start(context.Background(), c, *exp, starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stdout, stderr, code := execute(t, "--address", srv.FrontendAddress(), "abort", "--timeout", "1s", run.ID, "--reason", "test")
	if code != exitErrored {
		t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, exitErrored, stdout, stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("abort took %v with --timeout 1s", took)
	}
	for _, want := range []string{"no worker answered the abort within 1s; sent the abort signal", "tempest status " + run.ID} {
		if !strings.Contains(stderr, want) {
			t.Fatalf("stderr %q does not say %q", stderr, want)
		}
	}
	if !abortSignalled(t, c, run.ID) {
		t.Fatal("no abort signal in the history")
	}
	endsAborted(t, c, queue, run.ID)
}

// TestDevNoWorker: `tempest dev --no-worker` serves Temporal (and the UI)
// and nothing polls the task queue; a worker started on its own then does.
func TestDevNoWorker(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	port := freePort(t)
	var stdout, stderr syncBuffer
	done := background(ctx, &stdout, &stderr, "--state-dir", t.TempDir(), "--port", fmt.Sprint(port), "--ui-port", fmt.Sprint(freePort(t)),
		"dev", "--no-worker", "--worker-state-dir", t.TempDir())
	waitOutput(t, time.Minute, &stdout, regexp.MustCompile(`Ctrl-C to stop`))
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pollers := func() int {
		n := 0
		for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			d, err := c.DescribeTaskQueue(context.Background(), "tempest", typ)
			if err != nil {
				t.Fatal(err)
			}
			n += len(d.GetPollers())
		}
		return n
	}
	time.Sleep(2 * time.Second) // an in-process worker would have polled by now
	if n := pollers(); n != 0 {
		t.Fatalf("%d pollers on task queue tempest with --no-worker", n)
	}
	workertest.Start(t, c, "tempest", worker.Config{})
	deadline := time.Now().Add(10 * time.Second)
	for pollers() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a worker of its own never showed as a poller")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitPassed {
			t.Fatalf("dev exit %d\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop")
	}
}
