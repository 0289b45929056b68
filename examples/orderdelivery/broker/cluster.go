package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Cluster is a set of RabbitMQ nodes sharing a state dir, a cookie and an epmd.
type Cluster struct {
	cfg Config
}

// New prepares the state dir of cfg (files, saved config) without starting anything.
func New(cfg Config) (*Cluster, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := cfg.writeFiles(); err != nil {
		return nil, err
	}
	if err := cfg.save(); err != nil {
		return nil, err
	}
	return &Cluster{cfg: cfg}, nil
}

// Config is the cluster's configuration with defaults applied.
func (c *Cluster) Config() Config { return c.cfg }

// URLs are the AMQP URLs of every node, node 1 first.
func (c *Cluster) URLs() []string {
	urls := make([]string, c.cfg.Nodes)
	for i := range urls {
		urls[i] = c.cfg.AMQPURL(i + 1)
	}
	return urls
}

// Start starts node 1, then the others one by one (each joins node 1), and returns
// once every node accepts AMQP connections and, for a cluster, every node
// runs as a member.
func (c *Cluster) Start(ctx context.Context) error {
	// One node at a time: nodes joining node 1 at the same time can fail
	// to boot (seen here with 3.10.8: the third node never came up).
	for i := 1; i <= c.cfg.Nodes; i++ {
		if err := c.startAndWait(ctx, []int{i}); err != nil {
			return err
		}
	}
	if c.cfg.Nodes > 1 {
		return c.waitMembers(ctx)
	}
	return nil
}

// startAndWait launches the given nodes at once and waits until each accepts AMQP.
func (c *Cluster) startAndWait(ctx context.Context, nodes []int) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for k, i := range nodes {
		wg.Go(func() {
			if err := c.cfg.startNode(ctx, i); err != nil {
				errs[k] = err
				return
			}
			errs[k] = c.cfg.waitAMQP(ctx, i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitMembers waits until node 1 reports every node as running.
func (c *Cluster) waitMembers(ctx context.Context) error {
	for {
		out, err := c.cfg.ctl(ctx, ctlBin, 1, "cluster_status", "--formatter", "json")
		var status struct {
			Running []string `json:"running_nodes"`
		}
		if err == nil {
			err = json.Unmarshal([]byte(out), &status)
		}
		if err == nil && len(status.Running) == c.cfg.Nodes {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker: cluster not formed (running %v): %w (last: %v)", status.Running, ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Running reports whether node i's VM runs.
func (c *Cluster) Running(i int) bool { return c.cfg.nodePID(i) != 0 }

// PID is the pid of node i's VM, or 0 when it does not run.
func (c *Cluster) PID(i int) int { return c.cfg.nodePID(i) }

// Kill sends SIGKILL to node i's VM (what the process fault does; tests use it).
func (c *Cluster) Kill(i int) error {
	pid := c.cfg.nodePID(i)
	if pid == 0 {
		return fmt.Errorf("broker: %s does not run", c.cfg.NodeName(i))
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("broker: kill %s: %w", c.cfg.NodeName(i), err)
	}
	for alive(pid) {
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// RestartDown starts every node that does not run, waits until they accept
// AMQP, and refreshes LeaderPIDFile when the cluster has a Queue. It
// returns the nodes it started.
func (c *Cluster) RestartDown(ctx context.Context) ([]int, error) {
	var down []int
	for i := 1; i <= c.cfg.Nodes; i++ {
		if !c.Running(i) {
			down = append(down, i)
		}
	}
	if err := c.recordRestarts(down); err != nil {
		return nil, err
	}
	if err := c.startAndWait(ctx, down); err != nil {
		return down, err
	}
	if c.cfg.Queue != "" && c.cfg.Nodes > 1 {
		return down, c.WriteLeaderPIDFile(ctx)
	}
	return down, nil
}

// RestartsFile is the log of RestartDown: one line per node start, "<RFC 3339 time> <node name>".
func (c Config) RestartsFile() string { return filepath.Join(c.StateDir, "restarts.log") }

// recordRestarts appends the nodes about to be restarted to RestartsFile,
// so tests can count restarts per injection.
func (c *Cluster) recordRestarts(nodes []int) error {
	if len(nodes) == 0 {
		return nil
	}
	f, err := os.OpenFile(c.cfg.RestartsFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, i := range nodes {
		fmt.Fprintf(f, "%s %s\n", now, c.cfg.NodeName(i))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	return nil
}

// Leader is the node leading the quorum queue Config.Queue.
func (c *Cluster) Leader(ctx context.Context) (int, error) {
	if c.cfg.Queue == "" {
		return 0, errors.New("broker: Config.Queue is not set")
	}
	var lastErr error
	for i := 1; i <= c.cfg.Nodes; i++ {
		if !c.Running(i) {
			continue
		}
		out, err := c.cfg.ctl(ctx, ctlBin, i, "list_queues", "name", "leader", "--formatter", "json", "--quiet")
		if err != nil {
			lastErr = err
			continue
		}
		var queues []struct {
			Name   string `json:"name"`
			Leader string `json:"leader"`
		}
		if err := json.Unmarshal([]byte(out), &queues); err != nil {
			lastErr = fmt.Errorf("broker: list_queues output: %w", err)
			continue
		}
		for _, q := range queues {
			if q.Name != c.cfg.Queue {
				continue
			}
			for n := 1; n <= c.cfg.Nodes; n++ {
				if c.cfg.NodeName(n) == q.Leader {
					return n, nil
				}
			}
			return 0, fmt.Errorf("broker: queue %s led by unknown node %q", q.Name, q.Leader)
		}
		lastErr = fmt.Errorf("broker: queue %s not found", c.cfg.Queue)
	}
	if lastErr == nil {
		lastErr = errors.New("broker: no node runs")
	}
	return 0, lastErr
}

// WriteLeaderPIDFile writes the pid of the leader of Config.Queue into
// LeaderPIDFile, so a process fault selecting that file kills the leader.
func (c *Cluster) WriteLeaderPIDFile(ctx context.Context) error {
	n, err := c.Leader(ctx)
	if err != nil {
		return err
	}
	pid := c.PID(n)
	if pid == 0 {
		return fmt.Errorf("broker: leader %s does not run", c.cfg.NodeName(n))
	}
	tmp := c.cfg.LeaderPIDFile() + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := os.Rename(tmp, c.cfg.LeaderPIDFile()); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	return nil
}

// Stop stops every process of the cluster: SIGTERM to the nodes, SIGKILL to
// whatever is left after grace (helpers and epmd included). It returns an
// error if a process survives.
func (c *Cluster) Stop(grace time.Duration) error {
	for i := 1; i <= c.cfg.Nodes; i++ {
		if pid := c.cfg.nodePID(i); pid != 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && c.nodesRunning() {
		time.Sleep(100 * time.Millisecond)
	}
	for range 50 {
		pids := clusterProcesses(c.cfg.StateDir)
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if pids := clusterProcesses(c.cfg.StateDir); len(pids) > 0 {
		return fmt.Errorf("broker: processes survive SIGKILL: %v", pids)
	}
	return nil
}

func (c *Cluster) nodesRunning() bool {
	for i := 1; i <= c.cfg.Nodes; i++ {
		if c.Running(i) {
			return true
		}
	}
	return false
}

// String describes the cluster for logs.
func (c *Cluster) String() string {
	names := make([]string, c.cfg.Nodes)
	for i := range names {
		names[i] = fmt.Sprintf("%s(:%d)", c.cfg.NodeName(i+1), c.cfg.Port(i+1))
	}
	return strings.Join(names, ", ")
}
