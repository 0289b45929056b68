// Package load generates an experiment's HTTP load and judges it.
//
// Run sends requests at a constant or linearly ramping arrival rate paced
// by a github.com/tsenart/vegeta/v12 Pacer (open model: requests are sent on
// schedule whatever the latency, bounded by MaxInFlight), through
// github.com/valyala/fasthttp rather than vegeta's net/http attacker, which
// reaches only about 60% of wrk's throughput on the same cores. It renders
// templated URLs and bodies per request, and aggregates every result into
// compact, mergeable metrics: per-phase counts, status codes, error kinds
// and a log-bucketed latency histogram (≤1% relative error), plus a time
// series capped at MaxSeriesPoints. Nothing is kept per request.
//
// Contract with the caller (the load activity):
//   - Progress is cumulative and JSON-serialisable; OnProgress receives a
//     private copy about every second, fit to be heartbeat details.
//   - Options.Resume continues a previous attempt: only the remaining part of
//     the schedule is sent (the ramp continues where it stopped) and the
//     metrics are merged. What the dead attempt sent after its last
//     heartbeat (up to about a second) is not in the metrics and is sent
//     again by the retry, so the target sees those requests twice (with
//     new {{seq}} numbers: a resume skips two seconds' worth of them).
//   - Cancelling ctx stops sending and aborts every in-flight request; Run
//     returns within a second with the partial report and ctx's error.
//   - Requests are split into phases by the wall-clock time they were sent,
//     using Options.Phases (baseline before the first inject, chaos while any
//     fault is active, recovery after the last revert).
//   - Spec errors are errkind.InvalidSpec, with the field path; unresolvable
//     header secrets are errkind.SecretUnavailable.
//
// Thresholds use k6's syntax (see ParseThreshold). A K6 block instead runs
// the user's own k6 binary as a separate process (see RunK6).
package load
