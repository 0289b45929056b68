// Package bench holds Tempest's end-to-end benchmarks, each measured side by
// side with its baseline in the same run (see the README for figures):
//
//   - BenchmarkStartToPodDelete: from starter.Start to the API server
//     reporting a broker pod deleted, on the local cluster, against
//     BenchmarkBarePodDelete, a bare client-go force delete.
//   - BenchmarkStartToInject: from starter.Start to the target process
//     being killed, on the embedded server with an in-process worker,
//     against BenchmarkRawKill, the bare kill(2) of the same kind of process.
//
// BenchmarkHistoryTenMinutes runs one 10-minute experiment with a 1-second
// Continuous probe and reports its history event count (-benchtime 1x).
package bench
