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
//     target already serves again (the port listens, the pid file names a
//     live process, a process of that name runs), and a marker file in
//     Process.StateDir, created exclusively before the launch, records it:
//     a Revert retried after a worker crash, or running concurrently with
//     another attempt, waits for that launch instead of starting a second
//     one. Only a launch seen to fail (exit status != 0 before the target
//     was back) is launched again by the next attempt.
//     Revert then waits, bounded by RestartTimeout, until the target serves
//     by the same measure. Only the port selector waits for the listener:
//     with a name or pid file, Revert returns once the process runs (the
//     pid file may be written before the process accepts connections).
//
// Errors that retrying cannot fix are classified with package errkind:
// a bad spec is InvalidSpec, a selector matching nothing is NoTargets, a
// permission problem is Forbidden, pausing a vanished target is UnknownTarget.
package process
