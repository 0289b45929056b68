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
//   - Requests are attributed to phases by their SEND time, never by when
//     they completed: a request sent before the first inject took effect
//     is baseline even if its response came during the fault; one sent
//     from that moment until the last revert completed is chaos (between
//     two injections of a repeating fault included); one sent after it is
//     recovery. With Options.Timeline the moments come from what the
//     faults actually did (experiment's Timeline.PhaseAt, read about every
//     300 ms): a result whose send time the timeline has not settled waits
//     in its worker's shard, then in a bounded buffer (24 bytes a request,
//     at most 2^20), and is folded into its phase once it is. A result
//     still unsettled after 30 s, or past the cap, or when the load ends
//     (after waiting up to 5 s for the timeline), takes the timeline's
//     provisional phase (Progress.Provisional); a timeline that could not
//     be read for 30 s gives way to the planned windows (Progress.ByPlan).
//     Waiting results are in each heartbeat, by planned phase
//     (Progress.Unsettled), and a retry counts them there. Without a
//     timeline, Options.Phases (the planned windows) split them.
//   - Spec errors are errkind.InvalidSpec, with the field path; unresolvable
//     header secrets are errkind.SecretUnavailable.
//
// Thresholds use k6's syntax (see ParseThreshold). A K6 block instead runs
// the user's own k6 binary as a separate process (see RunK6).
package load
