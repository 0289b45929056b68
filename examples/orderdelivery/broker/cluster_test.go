package broker

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestClusterLifecycle starts a real 3-node cluster, kills the quorum
// queue's leader, restarts it and stops everything, checking that no
// process is left behind.
func TestClusterLifecycle(t *testing.T) {
	// A bound for the whole lifecycle with margin for a loaded machine
	// (forming the cluster alone took 67 s beside other builds), not a
	// timing claim.
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	// Ports below Linux's ephemeral range (32768-60999; distribution
	// ports are BasePort+20000), so that no outgoing connection of a busy
	// machine holds one of them when a node binds it.
	c, err := New(Config{StateDir: t.TempDir(), Nodes: 3, BasePort: 12672, EPMDPort: 14369, NamePrefix: "bt", Queue: "q"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(0) })
	start := time.Now()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Logf("3-node cluster formed in %v", time.Since(start))

	conn, err := amqp.Dial(c.URLs()[0])
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("q", true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()

	if err := c.WriteLeaderPIDFile(ctx); err != nil {
		t.Fatalf("leader: %v", err)
	}
	leader, err := c.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(leader); err != nil {
		t.Fatal(err)
	}
	if c.Running(leader) {
		t.Fatalf("node %d still runs after kill", leader)
	}
	start = time.Now()
	restarted, err := c.RestartDown(ctx)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Logf("restarted %v in %v", restarted, time.Since(start))
	if len(restarted) != 1 || restarted[0] != leader {
		t.Fatalf("restarted %v, want [%d]", restarted, leader)
	}
	if log, err := os.ReadFile(c.Config().RestartsFile()); err != nil || strings.Count(string(log), "\n") != 1 {
		t.Fatalf("restarts.log = %q (%v), want one line", log, err)
	}
	again, err := c.RestartDown(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second RestartDown started %v (%v), want nothing", again, err)
	}
	loaded, err := Load(c.Config().StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if left := clusterProcesses(c.Config().StateDir); len(left) > 0 {
		t.Fatalf("processes left behind: %v", left)
	}
}
