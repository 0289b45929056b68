// Package process implements the "process" fault kind: it kills or pauses
// processes on the worker's own host, using /proc and signals only (Linux).
//
// Targets resolve the selector of an experiment.ProcessFault:
//   - PIDFile: the pid written in the file, if that process is alive;
//   - Name: every live process whose /proc/PID/comm, or base name of
//     /proc/PID/exe, equals the name (zombies and the worker itself excluded);
//   - Port: every process holding a TCP (IPv4 or IPv6) socket that LISTENs on
//     the port: the listening sockets come from the kernel's sock_diag
//     netlink interface (or /proc/net/tcp{,6} where it is unavailable), their
//     owners from /proc/PID/fd.
//
// Each target carries, in its Attrs (see the Attr* constants), the pid, the
// process name, a listening port, the pid file and the process start time
// (field 22 of /proc/PID/stat). Inject and Revert act on the pid only while
// its start time is unchanged, and signal through a pidfd opened before that
// check, so a recycled pid is never signalled.
//
// Inject:
//   - kill sends the signal (default SIGKILL) and waits, bounded by
//     Process.KillWait, until the process is gone or a zombie. A target that
//     is already gone (or whose pid was recycled) counts as killed.
//   - pause sends SIGSTOP and waits until the process is stopped (state T).
//
// Revert:
//   - pause: SIGCONT; a vanished process needs nothing.
//   - kill without Restart: nothing; the process stays dead (whatever
//     supervises it, if anything, restarts it).
//   - kill with Restart: the argv, templated with {{.PID}}, {{.Port}},
//     {{.Name}} and {{.PIDFile}} of the target, runs in a new session with
//     stdin from /dev/null and output to a log file, so it outlives the
//     worker. It runs at most once per injection: it is skipped when the
//     target already runs again (a new process of that name runs, the pid
//     file names another live process, or, for a port, the port listens),
//     and a marker file in Process.StateDir, created exclusively before the
//     launch, records it: a Revert retried after a worker crash, or running
//     concurrently with another attempt, judges that launch instead of
//     starting a second one. Only a launch seen to fail (it could not start,
//     or exited with an error before it settled) is launched again by the
//     next attempt.
//     Revert returns when the undo is done, not when the target serves:
//     once the launched command has kept running for Process.RestartSettle
//     (it is not required to listen yet; whether and when it serves is for
//     the probes to see, so an EOT window starts at the revert). A command
//     that exits with an error before fails the Revert, with the end of its
//     log. One that exits 0 before (it started a daemon) is done once the
//     target runs again by the measure above, which it waits for at most
//     RestartTimeout after the launch. A retried Revert succeeds when the
//     launched process (pid and start time from the marker) still runs, or
//     the target runs again; when neither does RestartTimeout after the
//     launch, it fails.
//
// Errors that retrying cannot fix are classified with package errkind:
// a bad spec is InvalidSpec, a selector matching nothing is NoTargets, a
// permission problem is Forbidden, pausing a vanished target is UnknownTarget.
package process
