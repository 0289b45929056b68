package experiment

// ProcessAction is what a process fault does to its targets.
type ProcessAction string

// Process actions.
const (
	// ProcessKill sends Signal (default SIGKILL); the revert runs Restart, if set.
	ProcessKill ProcessAction = "kill"
	// ProcessPause sends SIGSTOP; the revert sends SIGCONT.
	ProcessPause ProcessAction = "pause"
)

// ProcessFault kills or pauses processes on the worker's host.
type ProcessFault struct {
	// Selector picks the processes; exactly one of its fields is set.
	Selector ProcessSelector `json:"selector"`
	// Action is kill (default) or pause.
	Action ProcessAction `json:"action,omitempty"`
	// Signal sent by kill, by name ("SIGKILL", "SIGTERM", "KILL", "9"); default SIGKILL.
	Signal string `json:"signal,omitempty"`
	// Restart is an argv run as the revert of a kill (like chaosd's recover
	// command). Arguments may use {{.PID}}, {{.Port}}, {{.Name}}, {{.PIDFile}}
	// of the killed target. It runs at most once per injection and target,
	// and not at all when the target already runs again (for a port
	// selector: the port listens). The revert ends once it has been
	// launched and keeps running (about 0.5s); it does not wait for the
	// target to serve, so an EOT probe's window starts at the revert and
	// a target slow to serve fails it. A Restart that exits with an error
	// at once fails the revert.
	Restart []string `json:"restart,omitempty"`
	// RestartDir is the working directory of Restart.
	RestartDir string `json:"restartDir,omitempty"`
	// RestartEnv adds environment variables to Restart.
	RestartEnv map[string]string `json:"restartEnv,omitempty"`
	// RestartTimeout bounds, from the launch, the only wait a revert has:
	// for a Restart that exits 0 at once (it started a daemon), until the
	// target runs again (the pid file names a new live process, a process of
	// that name runs, the port listens); a retried revert whose launched
	// Restart is gone fails once it has passed. Default 30s.
	RestartTimeout Duration `json:"restartTimeout,omitempty"`
}

// ProcessSelector selects processes on the worker's host; set exactly one field.
type ProcessSelector struct {
	// PIDFile is a file holding the process ID.
	PIDFile string `json:"pidFile,omitempty"`
	// Name is the exact executable name (as in /proc/PID/comm or the base
	// name of /proc/PID/exe).
	Name string `json:"name,omitempty"`
	// Port selects the process listening on this TCP port (1-65535).
	Port int `json:"port,omitempty"`
}
