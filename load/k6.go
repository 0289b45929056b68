package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// PhaseK6 names the single phase of a k6 run: k6 does not know Tempest's
// fault timeline, so its metrics are not split.
const PhaseK6 = "all"

// k6ThresholdsFailed is k6's exit code when a threshold failed.
const k6ThresholdsFailed = 99

// k6StopGrace is how long k6 gets after SIGINT before it is killed.
const k6StopGrace = time.Second

var k6ProgressPattern = regexp.MustCompile(`running \((?:(\d+)h)?(\d+)m(\d+(?:\.\d+)?)s\)`)

// RunK6 runs the user's own k6 binary (spec.K6.Binary, default "k6" on
// PATH) as a separate process, never linked:
//
//	k6 run --summary-export <tmp>/summary.json [spec.K6.Args...] <script>
//
// Its progress lines ("running (0m05.0s), 10/10 VUs, ...") reach
// OnProgress as Progress.K6 about every second; the report comes from the
// summary file: one phase ("all"), k6's own thresholds (from the script)
// and the spec's thresholds judged on the summary's figures. Cancelling
// ctx sends k6 SIGINT and kills it a second later. A retry reruns the
// script from the start: k6 cannot resume.
func RunK6(ctx context.Context, spec experiment.Load, opts Options) (experiment.LoadReport, error) {
	if spec.K6.Script == "" {
		return experiment.LoadReport{}, errkind.New(errkind.InvalidSpec, "spec.load.k6.script: required")
	}
	bin := spec.K6.Binary
	if bin == "" {
		bin = "k6"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return experiment.LoadReport{}, errkind.New(errkind.InvalidSpec, "spec.load.k6.binary: %q not found on this worker: %w", bin, err)
	}
	if err := sleepUntil(ctx, opts.StartAt); err != nil {
		return experiment.LoadReport{}, fmt.Errorf("k6 cancelled before it started: %w", err)
	}
	dir, err := os.MkdirTemp("", "tempest-k6-")
	if err != nil {
		return experiment.LoadReport{}, fmt.Errorf("k6 summary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	summaryPath := filepath.Join(dir, "summary.json")

	args := append([]string{"run", "--summary-export", summaryPath}, spec.K6.Args...)
	cmd := exec.CommandContext(ctx, path, append(args, spec.K6.Script)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = k6StopGrace
	progress := &k6ProgressWriter{onProgress: opts.OnProgress, started: time.Now()}
	var stderr tailBuffer
	cmd.Stdout = progress
	cmd.Stderr = io.MultiWriter(&stderr, progress)
	if err := cmd.Start(); err != nil {
		return experiment.LoadReport{}, fmt.Errorf("start k6: %w", err)
	}
	runErr := cmd.Wait()

	f, openErr := os.Open(summaryPath)
	if openErr != nil {
		if ctx.Err() != nil {
			return experiment.LoadReport{}, fmt.Errorf("k6 stopped: %w", ctx.Err())
		}
		return experiment.LoadReport{}, fmt.Errorf("k6 wrote no summary (%v): %s", runErr, stderr.String())
	}
	defer f.Close()
	rep, err := ReadK6Summary(f, spec.Thresholds)
	if err != nil {
		return rep, err
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return rep, fmt.Errorf("k6 stopped: %w", ctx.Err())
	case runErr == nil, errors.As(runErr, &exit) && exit.ExitCode() == k6ThresholdsFailed:
		return rep, nil
	default:
		return rep, fmt.Errorf("k6 failed (%w): %s", runErr, stderr.String())
	}
}

// k6ProgressWriter receives k6's output (progress goes to stderr, or
// stdout in some versions) and reports the latest progress line to
// onProgress at most once a second. k6 redraws its bar with \r.
type k6ProgressWriter struct {
	onProgress func(Progress)
	started    time.Time
	mu         sync.Mutex
	partial    []byte
	last       time.Time
}

func (w *k6ProgressWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexAny(w.partial, "\r\n")
		if i < 0 {
			break
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 64<<10 {
		w.partial = w.partial[:0]
	}
	return len(b), nil
}

// line reports one output line if it is a progress line.
func (w *k6ProgressWriter) line(line string) {
	m := k6ProgressPattern.FindStringSubmatch(line)
	if m == nil || w.onProgress == nil || time.Since(w.last) < time.Second {
		return
	}
	w.last = time.Now()
	h, _ := strconv.Atoi(m[1])
	mins, _ := strconv.Atoi(m[2])
	secs, _ := strconv.ParseFloat(m[3], 64)
	elapsed := time.Duration(h)*time.Hour + time.Duration(mins)*time.Minute + time.Duration(secs*float64(time.Second))
	w.onProgress(Progress{Started: w.started, Elapsed: experiment.Duration(elapsed), Attempts: 1, K6: strings.TrimSpace(line)})
}

// tailBuffer keeps the last 4 KiB written, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
