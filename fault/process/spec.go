package process

import (
	"io"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// defaultRestartTimeout bounds Restart when the spec sets no RestartTimeout.
const defaultRestartTimeout = 30 * time.Second

// settings is a validated experiment.ProcessFault.
type settings struct {
	spec           *experiment.ProcessFault
	action         experiment.ProcessAction
	signal         syscall.Signal
	restart        []*template.Template
	restartTimeout time.Duration
}

// parseSpec validates the process block of f; every problem is InvalidSpec
// with the path of the field at fault.
func parseSpec(f experiment.Fault) (settings, error) {
	pf := f.Process
	if pf == nil {
		return settings{}, errkind.New(errkind.InvalidSpec, "fault %q: process: block missing", f.Name)
	}
	invalid := func(format string, args ...any) error {
		return errkind.New(errkind.InvalidSpec, "fault %q: process."+format, append([]any{f.Name}, args...)...)
	}
	sel := pf.Selector
	set := 0
	for _, isSet := range []bool{sel.PIDFile != "", sel.Name != "", sel.Port != 0} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		return settings{}, invalid("selector: set exactly one of pidFile, name, port (%d set)", set)
	}
	if sel.Port < 0 || sel.Port > 65535 {
		return settings{}, invalid("selector.port: %d is not in 1-65535", sel.Port)
	}
	if strings.Contains(sel.Name, "/") {
		return settings{}, invalid("selector.name: %q is a path; give the executable's base name", sel.Name)
	}
	s := settings{spec: pf, action: pf.Action, restartTimeout: pf.RestartTimeout.D()}
	if s.action == "" {
		s.action = experiment.ProcessKill
	}
	switch s.action {
	case experiment.ProcessKill:
		sig, err := parseSignal(pf.Signal)
		if err != nil {
			return settings{}, invalid("signal: %w", err)
		}
		if sig == syscall.SIGSTOP || sig == syscall.SIGCONT {
			return settings{}, invalid("signal: %s does not kill; use action pause", pf.Signal)
		}
		s.signal = sig
	case experiment.ProcessPause:
		if pf.Signal != "" {
			return settings{}, invalid("signal: only for action kill")
		}
		if len(pf.Restart) > 0 {
			return settings{}, invalid("restart: only for action kill")
		}
		s.signal = syscall.SIGSTOP
	default:
		return settings{}, invalid("action: %q is not kill or pause", pf.Action)
	}
	if len(pf.Restart) > 0 && strings.TrimSpace(pf.Restart[0]) == "" {
		return settings{}, invalid("restart[0]: the program must not be empty")
	}
	for i, arg := range pf.Restart {
		t, err := template.New("arg").Option("missingkey=error").Parse(arg)
		if err != nil {
			return settings{}, invalid("restart[%d]: %w", i, err)
		}
		if err := t.Execute(io.Discard, targetInfo{}); err != nil {
			return settings{}, invalid("restart[%d]: %w", i, err)
		}
		s.restart = append(s.restart, t)
	}
	if s.restartTimeout < 0 {
		return settings{}, invalid("restartTimeout: must not be negative")
	}
	if s.restartTimeout == 0 {
		s.restartTimeout = defaultRestartTimeout
	}
	return s, nil
}
