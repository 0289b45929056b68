package process

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// restart brings a killed target back by running Restart, at most once per
// injection (see the package doc). It returns once the undo is done: the
// launched command has run for RestartSettle (or, if it exits 0 before,
// the target runs again); whether and when the target serves is for the
// probes to observe.
func (p *Process) restart(ctx context.Context, req fault.Request, s settings, ti targetInfo) error {
	back, err := p.runsAgain(ctx, s.spec.Selector, ti)
	if err != nil || back {
		return err
	}
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return fmt.Errorf("restart state dir: %w", forbidden(err))
	}
	argv, err := expand(s, ti)
	if err != nil {
		return err
	}
	markerFile, logFile := p.markerPaths(req)
	pruneMarkers(p.StateDir, time.Now())
	m := marker{Argv: argv, LaunchedAt: time.Now()}
	claimed, err := claimMarker(markerFile, m)
	if err != nil {
		return err
	}
	if !claimed {
		// Another attempt launched it (the worker crashed, the attempt
		// timed out, or it still runs): judge that launch, never start
		// another.
		return p.awaitLaunch(ctx, s, ti, markerFile, logFile)
	}
	l, err := p.launch(argv, s.spec.RestartDir, s.spec.RestartEnv, logFile)
	if err != nil {
		m.Failed = err.Error()
		if werr := writeMarker(markerFile, m); werr != nil {
			return errors.Join(err, werr)
		}
		return forbidden(err)
	}
	m.PID, m.StartTime = l.pid, l.startTime
	if err := writeMarker(markerFile, m); err != nil {
		return err
	}
	err = p.settle(ctx, s, ti, m, l.exited, logFile)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		m.Failed = exitErr.Error()
		if werr := writeMarker(markerFile, m); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
}

// settleTime is how long a launched Restart must run, at most, before it
// counts as launched: RestartSettle, cut to RestartTimeout.
func (p *Process) settleTime(s settings) time.Duration {
	return min(p.RestartSettle, s.restartTimeout)
}

// settle waits until the command just launched has run for settleTime. A
// command that exits with an error before fails the revert (with the end
// of its log); one that exits 0 (it started a daemon) is done once the
// target runs again, within RestartTimeout of the launch.
func (p *Process) settle(ctx context.Context, s settings, ti targetInfo, m marker, exited <-chan error, logFile string) error {
	timer := time.NewTimer(p.settleTime(s))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("restart launched (pid %d), not settled: %w", m.PID, ctx.Err())
	case <-timer.C:
		select {
		case err := <-exited: // exited at the last moment
			return p.launchExited(ctx, s, ti, m, err, logFile)
		default:
			return nil
		}
	case err := <-exited:
		return p.launchExited(ctx, s, ti, m, err, logFile)
	}
}

// launchExited judges a launched command that exited with err (nil for
// status 0) before it settled.
func (p *Process) launchExited(ctx context.Context, s settings, ti targetInfo, m marker, err error, logFile string) error {
	if err != nil {
		return fmt.Errorf("restart failed: %w; log %s: %s", err, logFile, logTail(logFile))
	}
	return p.waitRunning(ctx, s.spec.Selector, ti, m.LaunchedAt.Add(s.restartTimeout), logFile)
}

// awaitLaunch judges the launch another attempt made (its marker is at
// markerFile): done when the launched process has run for settleTime and
// still runs, or when the target runs again; failed when that launch
// failed, or when neither runs RestartTimeout after the launch. It never
// launches.
func (p *Process) awaitLaunch(ctx context.Context, s settings, ti targetInfo, markerFile, logFile string) error {
	pause := 5 * time.Millisecond
	for {
		m, ok, err := readMarker(markerFile)
		if err != nil {
			return err
		}
		// !ok: a failed launch's marker is being replaced by a new launch.
		if ok {
			if m.Failed != "" {
				return fmt.Errorf("restart failed: %s; log %s: %s", m.Failed, logFile, logTail(logFile))
			}
			if m.PID > 0 && time.Since(m.LaunchedAt) >= p.settleTime(s) {
				if _, err := p.proc.alive(m.PID, m.StartTime); err == nil {
					return nil
				}
			}
			back, err := p.runsAgain(ctx, s.spec.Selector, ti)
			if err != nil || back {
				return err
			}
			if time.Now().After(m.LaunchedAt.Add(s.restartTimeout)) {
				return fmt.Errorf("%w: restart launched at %s (pid %d) is gone and nothing runs again within restartTimeout %s; log %s: %s",
					errNotBack, m.LaunchedAt.UTC().Format(time.RFC3339), m.PID, s.restartTimeout, logFile, logTail(logFile))
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restart launched by another attempt: %w", ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// waitRunning waits until the target runs again, at most until deadline.
func (p *Process) waitRunning(ctx context.Context, sel experiment.ProcessSelector, ti targetInfo, deadline time.Time, logFile string) error {
	pause := 5 * time.Millisecond
	for {
		back, err := p.runsAgain(ctx, sel, ti)
		if err != nil || back {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: restart exited 0, and nothing runs again within restartTimeout; log %s: %s", errNotBack, logFile, logTail(logFile))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after restart: %w; log %s: %s", errNotBack, ctx.Err(), logFile, logTail(logFile))
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// expand fills the Restart templates with the target.
func expand(s settings, ti targetInfo) ([]string, error) {
	argv := make([]string, len(s.restart))
	for i, t := range s.restart {
		var b strings.Builder
		if err := t.Execute(&b, ti); err != nil {
			return nil, fmt.Errorf("restart[%d]: %w", i, err)
		}
		argv[i] = b.String()
	}
	return argv, nil
}

// launched is a started Restart command.
type launched struct {
	pid int
	// startTime identifies pid across pid reuse (0 if unreadable).
	startTime uint64
	// exited receives the command's exit error (nil for success) once,
	// when it ends.
	exited <-chan error
}

// launch starts argv in a session of its own, stdin from /dev/null and
// output appended to logFile, so it outlives the worker. The command is
// reaped even when nobody reads exited.
func (p *Process) launch(argv []string, dir string, env map[string]string, logFile string) (launched, error) {
	out, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return launched{}, fmt.Errorf("restart log: %w", err)
	}
	defer out.Close() // the child holds its own copy
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	cmd.Stdout, cmd.Stderr = out, out // *os.File: no copying goroutines
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return launched{}, fmt.Errorf("restart %q: %w", argv[0], err)
	}
	l := launched{pid: cmd.Process.Pid}
	// Read before anyone waits for it: unreaped, the pid cannot be reused.
	if st, err := p.proc.stat(l.pid); err == nil {
		l.startTime = st.StartTime
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	l.exited = exited
	return l, nil
}

// logTail returns the last lines of a restart log, for error messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	const max = 400
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}
