// Package temporalcluster starts (or finds up) the PostgreSQL Temporal
// cluster of deploy/temporal-cluster through its up.sh, and reads where it
// listens from the cluster.env up.sh writes. Tests and benchmarks use it;
// it holds no state of its own.
package temporalcluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Cluster is the running cluster, as its cluster.env describes it.
type Cluster struct {
	// State is its directory (pids/, logs/, pki/).
	State                                 string
	Address, MTLSAddress, Namespace       string
	TLSCA, TLSCert, TLSKey, TLSServerName string
	// PostgresAddress is its PostgreSQL's host:port.
	PostgresAddress string
}

// Up runs deploy/temporal-cluster/up.sh of the repository at root (with
// --mtls if mtls), which builds the server the first time and reuses a
// cluster that is up, and returns the cluster.
func Up(ctx context.Context, root string, mtls bool) (Cluster, error) {
	dir := filepath.Join(root, "deploy", "temporal-cluster")
	args := []string{filepath.Join(dir, "up.sh")}
	if mtls {
		args = append(args, "--mtls")
	}
	if out, err := exec.CommandContext(ctx, "bash", args...).CombinedOutput(); err != nil {
		return Cluster{}, fmt.Errorf("deploy/temporal-cluster/up.sh %s: %w\n%s", strings.Join(args[1:], " "), err, out)
	}
	out, err := exec.CommandContext(ctx, "bash", "-c", "source "+filepath.Join(dir, "env.sh")+" && echo $state").Output()
	if err != nil {
		return Cluster{}, fmt.Errorf("deploy/temporal-cluster/env.sh: %w", err)
	}
	c := Cluster{State: strings.TrimSpace(string(out))}
	kv, err := readEnvFile(filepath.Join(c.State, "cluster.env"))
	if err != nil {
		return Cluster{}, err
	}
	c.Address, c.MTLSAddress, c.Namespace = kv["TEMPORAL_ADDRESS"], kv["TEMPORAL_MTLS_ADDRESS"], kv["TEMPORAL_NAMESPACE"]
	c.TLSCA, c.TLSCert, c.TLSKey = kv["TEMPORAL_TLS_CA"], kv["TEMPORAL_TLS_CERT"], kv["TEMPORAL_TLS_KEY"]
	c.TLSServerName, c.PostgresAddress = kv["TEMPORAL_TLS_SERVER_NAME"], kv["POSTGRES_ADDRESS"]
	if c.Address == "" || c.PostgresAddress == "" {
		return Cluster{}, fmt.Errorf("%s names no TEMPORAL_ADDRESS or POSTGRES_ADDRESS", filepath.Join(c.State, "cluster.env"))
	}
	return c, nil
}

// readEnvFile reads KEY=VALUE lines.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	kv := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), "="); ok {
			kv[k] = v
		}
	}
	return kv, s.Err()
}
