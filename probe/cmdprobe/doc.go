// Package cmdprobe is the "cmd" probe kind: run a command on the worker and
// judge its exit code and trimmed stdout (or a JSON path of it).
//
// Contract (beyond package probe's):
//   - Command is an argv run without a shell. Only with shell: true is
//     Command[0] a script for /bin/sh -c (Command[1:] become $0, $1, ...).
//   - The command inherits the worker's environment plus Env, whose values
//     are secret references resolved inside Observe; resolved values are
//     redacted from Value, Detail and errors.
//   - The command runs in its own process group; when ctx ends (the probe
//     timeout) the whole group is killed, so a shell's children do not
//     outlive the observation, and the observation fails ("timed out").
//   - Exit code: checked against exitCode when set; when neither exitCode
//     nor output is set it must be 0; when only output is set it is not
//     checked.
//   - A command that is not found on the worker is an errkind.InvalidSpec
//     error (retrying cannot help); any other failure to start, a non-zero
//     exit and a failed comparison are failed observations.
package cmdprobe
