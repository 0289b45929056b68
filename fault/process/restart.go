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
// injection (see the package doc), and waits until the target serves.
func (p *Process) restart(ctx context.Context, req fault.Request, s settings, ti targetInfo) error {
	ctx, cancel := context.WithTimeout(ctx, s.restartTimeout)
	defer cancel()
	sel := s.spec.Selector
	back, err := p.servesAgain(ctx, sel, ti)
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
		// timed out, or it still runs): wait for that launch, never start
		// another.
		return p.waitServing(ctx, sel, ti, nil, logFile)
	}
	cmd, exited, err := launch(argv, s.spec.RestartDir, s.spec.RestartEnv, logFile)
	if err != nil {
		m.Failed = err.Error()
		if werr := writeMarker(markerFile, m); werr != nil {
			return errors.Join(err, werr)
		}
		return forbidden(err)
	}
	m.PID = cmd.Process.Pid
	if err := writeMarker(markerFile, m); err != nil {
		return err
	}
	err = p.waitServing(ctx, sel, ti, exited, logFile)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		m.Failed = exitErr.Error()
		if werr := writeMarker(markerFile, m); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
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

// launch starts argv in a session of its own, stdin from /dev/null and
// output appended to logFile, so it outlives the worker. exited receives
// the command's exit error (nil for success) once, when it ends; the
// command is reaped even when nobody reads exited.
func launch(argv []string, dir string, env map[string]string, logFile string) (*exec.Cmd, <-chan error, error) {
	out, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("restart log: %w", err)
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
		return nil, nil, fmt.Errorf("restart %q: %w", argv[0], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return cmd, exited, nil
}

// waitServing waits until the target serves again. A launched command that
// fails before ends the wait with its exit error and the end of its log.
func (p *Process) waitServing(ctx context.Context, sel experiment.ProcessSelector, ti targetInfo, exited <-chan error, logFile string) error {
	pause := 5 * time.Millisecond
	for {
		back, err := p.servesAgain(ctx, sel, ti)
		if err != nil || back {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after restart: %w; log %s: %s", errNotServing, ctx.Err(), logFile, logTail(logFile))
		case err := <-exited:
			exited = nil // a command that exits 0 may have started a daemon: keep waiting
			if err != nil {
				return fmt.Errorf("restart failed: %w; log %s: %s", err, logFile, logTail(logFile))
			}
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
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
