// Package stress implements the "stress" host fault: CPU and memory
// pressure from stress-ng (Debian package stress-ng), on the worker's
// host or inside the cgroups of selected processes. Linux only.
//
// # Spec
//
// A Spec sets CPU (Workers busy workers, each keeping Load percent of a
// CPU busy; defaults 1 and 100), Memory (Bytes, or Percent of MemTotal,
// allocated, touched and held), or both, and optionally a Selector
// (pidFile, name or port, as the process fault selects). Spec.Validate
// reports each problem with its field path
// ("spec.faults[0].stress.cpu.load: 150 is not a percent 1-100").
//
// # Targets
//
// Without a selector, one target: the host (ID HostTarget). With one,
// every process it matches, selected by fault/process (process.Find):
// ID "pid/PID", Attrs with the pid and start time.
//
// # What an injection starts
//
// One stress-ng (with --keep-name) per injection and target, in its own
// process group, forked by the worker with a parent-death signal
// (SIGKILL): it dies with the worker. It is forked from one OS thread
// that never exits, because the kernel sends that signal when the forking
// thread ends. Every process of it carries EnvMarker (16 hex digits of a
// SHA-256 of workflow ID, run ID, fault, injection and target) and EnvRun
// (JSON of the Info: run, fault, injection, target, sizes) in its
// environment, readable in /proc/PID/environ: that is how Revert and
// Leftovers find it without the worker's memory.
//
// For a process target, the stressor shares that process's cgroups: a
// shell holds it before stress-ng starts while the worker writes its pid
// into the cgroup.procs of the target's directory in each mounted v1
// hierarchy of the cpu, cpuacct, cpuset and memory controllers, and of
// the unified (v2) hierarchy; then it execs stress-ng, whose workers
// inherit them. Both cgroup v2 only hosts (/sys/fs/cgroup) and v1 or
// hybrid hosts are supported (the mounts come from /proc/self/mountinfo,
// subtree bind mounts included). So the stressor competes for the
// service's own CPU quota and memory limit, and only that service is
// squeezed; memory held past a cgroup's limit makes the kernel reclaim
// or OOM-kill within that cgroup, which is the fault.
//
// # Memory ceiling
//
// A memory stress is refused (errkind.Refused, nothing started) unless
// MemAvailable minus the bytes asked for stays at least the larger of 10%
// of MemTotal and 512 MiB (Driver.MinFreePercent, MinFreeBytes): the
// host keeps room for its page cache and the worker. A Percent over 90
// can never pass and is a validation error. Injections running at the
// same time are each checked against MemAvailable as it is then.
//
// # Kind
//
// Kind is the kind for package kinds: Spec is its block ("stress:" in a
// spec), Driver its fault.Fault and fault.Sweeper, built with the
// worker's state directory (for the stressors' logs).
//
// # Contract
//
//   - Inject is idempotent: it first looks for a running stressor with
//     the injection's marker and keeps it. Otherwise it checks the
//     ceiling, starts stress-ng, and returns once its workers run (and
//     hold at least 90% of the memory, or StartWait passed); a stressor
//     that exits before fails the Inject with the end of its log, and is
//     gone. A nil State with an error means nothing is left running.
//   - The State records the leader's pid and start time (field 22 of
//     /proc/PID/stat), the marker, the cgroups joined and the sizes.
//   - Revert kills the leader's process group through a pidfd, only while
//     the pid has the recorded start time (a recycled pid is never
//     signalled), then every process carrying the marker (so a stressor
//     of a previous worker that still runs, or one whose State was lost,
//     is stopped too), and returns once none is left.
//   - stress-ng's own --timeout ends a stressor that is never reverted (a
//     workflow terminated while its worker lives on): the fault's hold
//     plus as much again, at least 10 minutes more.
//   - Leftovers lists the running stressors of every run, one per marker,
//     attributed by EnvRun; removing one kills it as Revert does.
//
// Errors: a bad block or a host without stress-ng is InvalidSpec, a
// selector matching nothing NoTargets, a target process gone
// UnknownTarget, the memory ceiling Refused, a permission problem
// Forbidden.
package stress
