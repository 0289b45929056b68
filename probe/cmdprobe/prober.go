package cmdprobe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tempest-chaos/tempest/compare"
	"github.com/tempest-chaos/tempest/compare/jsonpath"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe"
	"github.com/tempest-chaos/tempest/secret"
)

const (
	// maxOutput is how much stdout is kept and judged.
	maxOutput = 1 << 20
	// stderrTail is how much of stderr a failed observation shows.
	stderrTail = 512
	// waitDelay bounds how long Observe waits for output pipes held open by
	// stray processes after the command exits or is killed.
	waitDelay = time.Second
)

var _ probe.Prober = (*Prober)(nil)

// Prober observes cmd probes.
type Prober struct {
	resolver secret.Resolver
}

// New returns a Prober resolving env secret references with resolver.
func New(resolver secret.Resolver) *Prober { return &Prober{resolver: resolver} }

func validate(p experiment.Probe) error {
	c := p.Cmd
	if c == nil {
		return errkind.New(errkind.InvalidSpec, "probe %s: cmd block missing", p.Name)
	}
	if len(c.Command) == 0 || c.Command[0] == "" {
		return errkind.New(errkind.InvalidSpec, "probe %s: cmd.command: required", p.Name)
	}
	if c.JSONPath != "" {
		if err := jsonpath.Validate(c.JSONPath); err != nil {
			return errkind.New(errkind.InvalidSpec, "probe %s: cmd.jsonPath: %w", p.Name, err)
		}
		if c.Output == nil {
			return errkind.New(errkind.InvalidSpec, "probe %s: cmd.jsonPath needs cmd.output", p.Name)
		}
	}
	if c.Output != nil {
		if err := compare.Validate(*c.Output); err != nil {
			return errkind.New(errkind.InvalidSpec, "probe %s: cmd.output.%w", p.Name, err)
		}
	}
	return nil
}

// Observe runs the command once and judges it.
func (pr *Prober) Observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error) {
	if err := validate(p); err != nil {
		return experiment.Observation{}, err
	}
	c := p.Cmd
	env, secrets, err := pr.environment(ctx, c.Env)
	if err != nil {
		return experiment.Observation{}, fmt.Errorf("probe %s: cmd.env: %w", p.Name, err)
	}

	cmd := command(ctx, c)
	cmd.Env = env
	cmd.Dir = c.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedWriter{buf: &stdout, max: maxOutput}
	cmd.Stderr = &limitedWriter{buf: &stderr, max: maxOutput}

	start := time.Now()
	obs := experiment.Observation{At: start}
	runErr := cmd.Run()
	obs.Took = time.Since(start)

	redact := func(s string) string { return secret.Redact(s, secrets...) }
	var exitErr *exec.ExitError
	switch {
	case errors.Is(runErr, exec.ErrNotFound):
		return experiment.Observation{}, errkind.New(errkind.InvalidSpec, "probe %s: cmd.command: %s", p.Name, redact(runErr.Error()))
	case ctx.Err() != nil:
		obs.Detail = redact(fmt.Sprintf("timed out after %v; process group killed%s", obs.Took.Round(time.Millisecond), stderrNote(stderr.Bytes())))
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			obs.Detail = redact(fmt.Sprintf("canceled after %v; process group killed", obs.Took.Round(time.Millisecond)))
		}
		return obs, nil
	case runErr != nil && !errors.As(runErr, &exitErr):
		obs.Detail = redact("cannot run: " + runErr.Error())
		return obs, nil
	}

	exitCode := cmd.ProcessState.ExitCode()
	value, problems := judge(c, exitCode, stdout.Bytes())
	if len(problems) > 0 {
		problems[len(problems)-1] += stderrNote(stderr.Bytes())
	}
	obs.Passed = len(problems) == 0
	obs.Value = redact(value)
	obs.Detail = redact(strings.Join(problems, "; "))
	return obs, nil
}

// command builds the process: argv or /bin/sh -c, in its own process group,
// killed as a group when ctx ends.
func command(ctx context.Context, c *experiment.CmdProbe) *exec.Cmd {
	var cmd *exec.Cmd
	if c.Shell {
		args := append([]string{"-c", c.Command[0]}, c.Command[1:]...)
		cmd = exec.CommandContext(ctx, "/bin/sh", args...)
	} else {
		cmd = exec.CommandContext(ctx, c.Command[0], c.Command[1:]...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// A negative pid signals the whole process group.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = waitDelay
	return cmd
}

// judge checks the exit code and output and returns what was measured and
// every failed check.
func judge(c *experiment.CmdProbe, exitCode int, stdout []byte) (value string, problems []string) {
	value = "exit " + strconv.Itoa(exitCode)
	wantExit := c.ExitCode
	if wantExit == nil && c.Output == nil {
		zero := 0
		wantExit = &zero
	}
	if wantExit != nil && exitCode != *wantExit {
		problems = append(problems, fmt.Sprintf("exit code %d, want %d", exitCode, *wantExit))
	}
	if c.Output == nil {
		return value, problems
	}
	measured, ok, detail, pathErr, err := compare.Document(*c.Output, stdout, c.JSONPath)
	switch {
	case pathErr != nil:
		return value, append(problems, fmt.Sprintf("jsonPath %s: %v (stdout: %s)", c.JSONPath, pathErr, snippet(strings.TrimSpace(string(stdout)))))
	case c.JSONPath != "":
		value += fmt.Sprintf(", %s = %s", c.JSONPath, snippet(measured))
	default:
		value += ", stdout " + snippet(measured)
	}
	if err != nil {
		return value, append(problems, err.Error())
	}
	if !ok {
		problems = append(problems, detail)
	}
	return value, problems
}

// environment is the worker's environment plus the resolved Env; secrets
// lists values that came from references.
func (pr *Prober) environment(ctx context.Context, refs map[string]experiment.SecretRef) (env, secrets []string, err error) {
	values, secrets, err := pr.resolver.ResolveMap(ctx, refs)
	if err != nil {
		return nil, nil, err
	}
	env = os.Environ()
	for name, v := range values {
		env = append(env, name+"="+v)
	}
	return env, secrets, nil
}

func stderrNote(stderr []byte) string {
	s := strings.TrimSpace(string(stderr))
	if s == "" {
		return ""
	}
	if len(s) > stderrTail {
		s = "..." + s[len(s)-stderrTail:]
	}
	return " (stderr: " + strconv.Quote(s) + ")"
}

func snippet(s string) string {
	const max = 200
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// limitedWriter keeps the first max bytes and discards the rest, so a
// chatty command cannot exhaust the worker's memory.
type limitedWriter struct {
	buf *bytes.Buffer
	max int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Validate reports why p's cmd block cannot run (errkind.InvalidSpec, naming
// the field: "probe NAME: cmd.output.op ..."), without running anything or
// resolving secrets. Whether the command exists is only known on the worker.
func Validate(p experiment.Probe) error { return validate(p) }
