// Package workertest starts Tempest workers for tests and benchmarks: a
// worker with every kind this process supports and its watchdog, stopped
// at cleanup.
package workertest

import (
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/worker"
)

// WatchdogPeriod is the watchdog period of test workers (short, so tests
// of what it reverts stay quick).
const WatchdogPeriod = 500 * time.Millisecond

// Start runs a worker on queue with worker.NewActivities(cfg), and its
// watchdog, until the test ends. An empty cfg.StateDir gets a directory of
// the test's own (so tests never share a ledger or fences); a nil
// cfg.Temporal gets c.
func Start(t testing.TB, c client.Client, queue string, cfg worker.Config) {
	t.Helper()
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	if cfg.Temporal == nil {
		cfg.Temporal = c
	}
	acts, closeActs := worker.NewActivities(cfg)
	w := worker.New(c, queue, acts)
	if err := w.Start(); err != nil {
		closeActs()
		t.Fatalf("start worker on %s: %v", queue, err)
	}
	stopWatchdog := worker.StartWatchdog(c, acts, WatchdogPeriod)
	t.Cleanup(func() { w.Stop(); stopWatchdog(); closeActs() })
}
