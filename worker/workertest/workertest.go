// Package workertest starts Tempest workers for tests and benchmarks: a
// worker with every kind this process supports, stopped at cleanup.
package workertest

import (
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/worker"
)

// Start runs a worker on queue with worker.NewActivities(cfg) until the test ends.
func Start(t testing.TB, c client.Client, queue string, cfg worker.Config) {
	t.Helper()
	acts, closeActs := worker.NewActivities(cfg)
	w := worker.New(c, queue, acts)
	if err := w.Start(); err != nil {
		closeActs()
		t.Fatalf("start worker on %s: %v", queue, err)
	}
	t.Cleanup(func() { w.Stop(); closeActs() })
}
