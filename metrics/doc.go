// Package metrics is what Tempest reports to Prometheus: a small Recorder
// interface that the activities and the worker call, Nop (the default:
// tests and library users need nothing), and Prometheus, which keeps the
// series a worker serves on /metrics beside the Temporal SDK's own
// (SDKHandler).
//
// Every label is bounded: fault and probe kinds come from the registries,
// outcomes and phases are fixed sets, and experiment and probe names come
// from the user's specs. No run ID, target or workflow ID is ever a label.
//
// Where each series is counted:
//   - injections, reverts, probe observations and load requests by the
//     activity that made them, on the worker that ran it;
//   - faults active now by the injections this worker made and has not
//     reverted (an injection reverted by another worker is forgotten when
//     its experiment closes), so sum them over workers;
//   - experiments by verdict, their duration and resilience score by the
//     worker's watch of the namespace's visibility (worker.WatchExperiments):
//     every worker counts every experiment that closes while it runs, so
//     aggregate them over workers with max, not sum.
//
// Nothing here runs in a workflow: a workflow replay records nothing.
package metrics
