// Package scale is Tempest's scale benchmark (go tool task bench:scale):
// N experiments started at once, each force-deleting its own one of N kwok
// pods (spread over namespaces and Deployments of the local cluster) with
// an EOT k8s probe seeing its Deployment Ready again, driven through two
// `tempest worker` processes, on the PostgreSQL Temporal cluster of
// deploy/temporal-cluster or on the embedded server (`tempest dev
// --no-worker`), measured beside its physical limit: the same N force
// deletes made bare with client-go at the same concurrency.
//
// Run measures one N on one backend and returns a Result: verdicts, start
// to first inject p50/p99 (from each run's history: the workflow's start
// event to its Inject activity starting), experiments per minute, worker
// RSS and goroutines per 100 running experiments (from the workers'
// Prometheus endpoints, at the sample with the most experiments running),
// CPU seconds of the Temporal server, PostgreSQL, the workers and the
// Kubernetes control plane, history events and bytes per experiment, and
// persistence bytes per experiment (database or SQLite growth). Knee
// doubles N from a start until something gives and says what.
//
// Nothing here is a pass/fail test of timing: the figures go to the
// README; TestScaleSmall runs a small N on both backends in CI and checks
// only that every experiment Passed and that every figure was measured.
package scale
