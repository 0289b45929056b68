// Package cpuburn keeps CPUs busy beside a test, so the test shows its
// verdicts do not depend on an idle machine.
//
// Contract:
//   - Start launches n child processes, each a shell busy loop
//     (`while :; do :; done`: one runnable thread, no goroutines, no I/O),
//     at the test's own priority, each in its own process group and with
//     SIGKILL as its parent-death signal; t.Cleanup stops them.
//   - Stop kills every burner and waits for it; later calls do nothing. A burner
//     that dies early is reported by Stop's error, so a test cannot believe
//     it ran under load when it did not.
//   - CPUTime is the CPU time the burners have used so far (user + system,
//     from /proc): a test logs it to show the cores were busy.
package cpuburn
