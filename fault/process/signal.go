package process

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// signalByName maps a signal name without the SIG prefix to its signal.
func signalByName(name string) (syscall.Signal, bool) {
	for _, s := range [...]struct {
		name string
		sig  syscall.Signal
	}{
		{"HUP", syscall.SIGHUP}, {"INT", syscall.SIGINT}, {"QUIT", syscall.SIGQUIT},
		{"ILL", syscall.SIGILL}, {"TRAP", syscall.SIGTRAP}, {"ABRT", syscall.SIGABRT},
		{"BUS", syscall.SIGBUS}, {"FPE", syscall.SIGFPE}, {"KILL", syscall.SIGKILL},
		{"USR1", syscall.SIGUSR1}, {"SEGV", syscall.SIGSEGV}, {"USR2", syscall.SIGUSR2},
		{"PIPE", syscall.SIGPIPE}, {"ALRM", syscall.SIGALRM}, {"TERM", syscall.SIGTERM},
		{"XCPU", syscall.SIGXCPU}, {"XFSZ", syscall.SIGXFSZ}, {"SYS", syscall.SIGSYS},
		{"STOP", syscall.SIGSTOP}, {"CONT", syscall.SIGCONT},
	} {
		if s.name == name {
			return s.sig, true
		}
	}
	return 0, false
}

// parseSignal accepts "SIGKILL", "KILL", "kill" or "9"; "" is SIGKILL.
func parseSignal(name string) (syscall.Signal, error) {
	if name == "" {
		return syscall.SIGKILL, nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("signal %d out of range 1-64", n)
		}
		return syscall.Signal(n), nil
	}
	sig, ok := signalByName(strings.TrimPrefix(strings.ToUpper(name), "SIG"))
	if !ok {
		return 0, fmt.Errorf("unknown signal %q", name)
	}
	return sig, nil
}
