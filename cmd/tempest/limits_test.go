package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A negative worker limit is refused by name, exit 2, before anything
// connects or starts.
func TestNegativeWorkerLimitRefusedBeforeStarting(t *testing.T) {
	_, stderr, code := execute(t, "worker", "--address", "127.0.0.1:1", "--max-concurrent-long-activities", "-1")
	if code != exitErrored || !strings.Contains(stderr, "--max-concurrent-long-activities -1") || strings.Contains(stderr, "reach") {
		t.Fatalf("exit %d, stderr %q: want exit 2 naming the flag, before dialing", code, stderr)
	}
	dir := t.TempDir()
	_, stderr, code = execute(t, "dev", "--port", "7399", "--ui-port", "8399", "--state-dir", dir, "--max-concurrent-activities", "-5")
	if code != exitErrored || !strings.Contains(stderr, "--max-concurrent-activities -5") {
		t.Fatalf("dev: exit %d, stderr %q: want exit 2 naming the flag", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "temporal.db")); err == nil {
		t.Fatal("dev started its server despite the bad limit")
	}
}
