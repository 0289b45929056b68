package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Debian installs the real scripts here; /usr/sbin holds wrappers that
// switch to the rabbitmq user.
const (
	serverBin = "/usr/lib/rabbitmq/bin/rabbitmq-server"
	ctlBin    = "/usr/lib/rabbitmq/bin/rabbitmqctl"
	queuesBin = "/usr/lib/rabbitmq/bin/rabbitmq-queues"
)

// markerEnv is set in the environment of every process of a cluster (the
// Erlang VMs and the epmd they start), with the state dir as value, so Stop
// finds them all.
const markerEnv = "TEMPEST_BROKER_STATE"

// loopbackDist binds the Erlang distribution listener to 127.0.0.1.
const loopbackDist = "-kernel inet_dist_use_interface {127,0,0,1}"

func (c Config) nodeDir(i int) string { return filepath.Join(c.StateDir, fmt.Sprintf("node%d", i)) }

// PIDFile is the pid file node i writes once it runs.
func (c Config) PIDFile(i int) string { return filepath.Join(c.nodeDir(i), "pid") }

// writeFiles creates the state dir, the shared cookie, the plugin list and
// the RabbitMQ configuration. An existing cookie is kept, so a restarted
// node still talks to its peers.
func (c Config) writeFiles() error {
	for i := 1; i <= c.Nodes; i++ {
		if err := os.MkdirAll(filepath.Join(c.nodeDir(i), "log"), 0o755); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
	}
	cookie := filepath.Join(c.StateDir, ".erlang.cookie")
	if _, err := os.Stat(cookie); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("broker: cookie: %w", err)
		}
		if err := os.WriteFile(cookie, []byte(strings.ToUpper(hex.EncodeToString(b))), 0o400); err != nil {
			return fmt.Errorf("broker: cookie: %w", err)
		}
	}
	files := map[string]string{
		"enabled_plugins":   "[].\n",
		"rabbitmq-env.conf": "",
	}
	for i := 1; i <= c.Nodes; i++ {
		files[filepath.Join(fmt.Sprintf("node%d", i), "rabbitmq.conf")] = c.nodeConf(i)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(c.StateDir, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
	}
	return nil
}

// nodeConf is node i's rabbitmq.conf. Node 1 forms the cluster on its own;
// the others discover node 1 (classic_config) and join it on their first
// boot. A restarted node finds its cluster in its Mnesia directory.
func (c Config) nodeConf(i int) string {
	conf := "log.file.level = warning\nlog.console = false\n"
	if i > 1 {
		conf += "cluster_formation.peer_discovery_backend = classic_config\n"
		conf += fmt.Sprintf("cluster_formation.classic_config.nodes.1 = %s\n", c.NodeName(1))
		conf += fmt.Sprintf("cluster_formation.classic_config.nodes.2 = %s\n", c.NodeName(i))
	}
	return conf
}

// env is the environment of node i's server and of CLI tools aimed at it.
func (c Config) env(i int) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "RABBITMQ_") || strings.HasPrefix(kv, "ERL_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+c.StateDir,
		markerEnv+"="+c.StateDir,
		"RABBITMQ_NODENAME="+c.NodeName(i),
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(c.Port(i)),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(c.DistBasePort+i-1),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(c.nodeDir(i), "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(c.nodeDir(i), "log"),
		"RABBITMQ_PID_FILE="+c.PIDFile(i),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(c.StateDir, "enabled_plugins"),
		"RABBITMQ_CONF_ENV_FILE="+filepath.Join(c.StateDir, "rabbitmq-env.conf"),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(c.nodeDir(i), "rabbitmq.conf"),
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+loopbackDist,
		"RABBITMQ_CTL_ERL_ARGS="+loopbackDist,
		"ERL_EPMD_ADDRESS=127.0.0.1",
		"ERL_EPMD_PORT="+strconv.Itoa(c.EPMDPort),
	)
}

// startNode launches node i detached, in its own session, and returns once
// the launcher has exited (the VM keeps running).
func (c Config) startNode(ctx context.Context, i int) error {
	if _, err := os.Stat(serverBin); err != nil {
		return fmt.Errorf("broker: rabbitmq-server is not installed (apt-get install -y rabbitmq-server): %w", err)
	}
	out, err := os.OpenFile(filepath.Join(c.nodeDir(i), "launch.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, serverBin, "-detached")
	cmd.Env = c.env(i)
	cmd.Dir = c.StateDir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("broker: start %s: %w", c.NodeName(i), err)
	}
	return nil
}

// nodePID is the pid of node i if its VM runs, else 0.
func (c Config) nodePID(i int) int {
	b, err := os.ReadFile(c.PIDFile(i))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !alive(pid) || !inCluster(pid, c.StateDir) {
		return 0
	}
	return pid
}

// waitAMQP waits until node i completes an AMQP handshake.
func (c Config) waitAMQP(ctx context.Context, i int) error {
	for {
		conn, err := amqp.DialConfig(c.AMQPURL(i), amqp.Config{Dial: amqp.DefaultDial(time.Second)})
		if err == nil {
			return conn.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker: %s does not accept AMQP on port %d: %w (last: %v); end of its log:\n%s",
				c.NodeName(i), c.Port(i), ctx.Err(), err, c.logTail(i, 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ctl runs a RabbitMQ CLI tool against node i and returns its stdout.
func (c Config) ctl(ctx context.Context, bin string, i int, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"-n", c.NodeName(i)}, args...)...)
	cmd.Env = c.env(i)
	cmd.Dir = c.StateDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("broker: %s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// logTail returns the last n lines of node i's log, for error messages.
func (c Config) logTail(i, n int) string {
	b, err := os.ReadFile(filepath.Join(c.nodeDir(i), "log", c.NodeName(i)+".log"))
	if err != nil {
		b, _ = os.ReadFile(filepath.Join(c.nodeDir(i), "launch.log"))
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
