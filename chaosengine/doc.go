// Package chaosengine runs Tempest itself under chaos and checks that it
// keeps its promises (`go tool task chaos:engine`; a small N runs in CI as
// TestEngineUnderChaosSmall).
//
// Run starts, each as its own OS process, the embedded Temporal server on
// a SQLite file (enginechaos server), Config.Workers `tempest worker`
// processes on one task queue that reach the server only through a Proxy
// (pass, blackhole, reset), and Config.Targets sample targets. Each target
// runs one experiment after another from Kinds, while one goroutine plays
// the configured chaos actions in a seeded random order at random moments:
// worker kill -9 (and a new worker), server kill -9 and restart on the same
// file, a network cut, a worker freeze (SIGSTOP, preferring a worker seen
// running an Inject or Revert), an abort, a termination, and a roll of
// every worker to the other build.
//
// Contract:
//   - Every experiment is checked once it has closed and its target has
//     settled (Config.Settle): a terminal status within its bound, the
//     verdict its Kind calls for (Aborted after an accepted abort; any
//     status after a termination was sent), the result's injection count
//     against what the target's ledger saw, one restart per kill and one
//     resume per pause, no launch that could not bind (a doubled restart),
//     nothing in state T, the target serving. At the end: every target
//     whole, the workers' ledger empty, no worker frozen.
//   - Violations are returned in the Report, never as an error; Run
//     returns an error only when something it needs cannot start.
//   - A target's ledger is its -starts file plus /proc/<pid>/stat sampled
//     every 20 ms; an experiment owns the events from its start until the
//     next experiment on that target starts.
//   - Run stops every process it started before it returns.
package chaosengine
