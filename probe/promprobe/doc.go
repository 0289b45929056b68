// Package promprobe is the "prometheus" probe kind: one PromQL query
// against the Prometheus HTTP API, reduced to one number and compared.
//
// Contract (beyond package probe's):
//   - Instant query (/api/v1/query at the observation time): a scalar, or a
//     vector of exactly one series.
//   - Range query (/api/v1/query_range over the last range.window, step
//     range.step, default window/60 but at least 1s): exactly one series,
//     reduced by min, max, avg or last.
//   - An empty vector (or a series with no samples) is judged by onEmpty:
//     fail (default) or pass; the observation says so either way.
//   - More than one series is a failed observation naming the count and
//     asking for an aggregation (sum, max, ...): a probe compares one value.
//   - The comparison type defaults to float, since PromQL values are floats
//     ("0.5" would not parse as an int); NaN fails every comparison.
//   - A query Prometheus rejects as malformed (errorType bad_data) is
//     errkind.InvalidSpec; a server that is down, slow (the ctx deadline) or
//     answering an error otherwise is a failed observation.
//   - Header values are secret references resolved inside Observe and
//     redacted from Value and Detail.
package promprobe
