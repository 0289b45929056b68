package scale

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/testenv/temporalcluster"
)

// Backend is the Temporal service a run drives.
type Backend string

// The backends.
const (
	// PostgreSQL is deploy/temporal-cluster: four temporal-server
	// processes on PostgreSQL 15 (go tool task temporal:up).
	PostgreSQL Backend = "postgresql"
	// Embedded is the embedded server on SQLite, as `tempest dev
	// --no-worker` runs it, in its own process.
	Embedded Backend = "embedded"
)

// server is a started backend.
type server struct {
	address, namespace string
	// cpuPIDs are the processes whose CPU time (with their children's)
	// is the server's; dbPIDs PostgreSQL's.
	cpuPIDs, dbPIDs []int
	// size returns the bytes the backend has persisted.
	size func(ctx context.Context) (int64, error)
	stop func()
}

// startBackend starts (or, for PostgreSQL, reuses) the backend.
func startBackend(ctx context.Context, b Backend, root, tempest, dir string, logf func(string, ...any)) (*server, error) {
	switch b {
	case PostgreSQL:
		return startPostgreSQL(ctx, root, logf)
	case Embedded:
		return startEmbedded(ctx, tempest, dir)
	}
	return nil, fmt.Errorf("backend %q: want %s or %s", b, PostgreSQL, Embedded)
}

func startPostgreSQL(ctx context.Context, root string, logf func(string, ...any)) (*server, error) {
	logf("temporal cluster: deploy/temporal-cluster/up.sh (builds the server the first time)")
	cl, err := temporalcluster.Up(ctx, root, false)
	if err != nil {
		return nil, err
	}
	state, pgAddr := cl.State, cl.PostgresAddress
	s := &server{address: cl.Address, namespace: cl.Namespace, stop: func() {}}
	for _, name := range []string{"frontend", "history", "matching", "worker", "frontend-mtls"} {
		if pid, err := readPID(filepath.Join(state, "pids", name+".pid")); err == nil {
			s.cpuPIDs = append(s.cpuPIDs, pid)
		}
	}
	pg, err := readPID(filepath.Join(state, "pids", "postgres.pid"))
	if err != nil {
		return nil, fmt.Errorf("the cluster's PostgreSQL: %w", err)
	}
	s.dbPIDs = []int{pg}
	s.size = func(ctx context.Context) (int64, error) {
		q := exec.CommandContext(ctx, "psql", "postgres://temporal:temporal@"+pgAddr+"/temporal?sslmode=disable", "-Atc",
			"SELECT pg_database_size('temporal') + pg_database_size('temporal_visibility')")
		out, err := q.Output()
		if err != nil {
			return 0, fmt.Errorf("psql pg_database_size: %w", err)
		}
		return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	}
	return s, nil
}

func startEmbedded(ctx context.Context, tempest, dir string) (*server, error) {
	port, uiPort := freePort(), freePort()
	state := filepath.Join(dir, "embedded")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "embedded.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(tempest, "dev", "--no-worker", "--state-dir", state,
		"--port", strconv.Itoa(port), "--ui-port", strconv.Itoa(uiPort))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("tempest dev: %w", err)
	}
	exited, stop := watchProcess(cmd, log)
	s := &server{
		address: fmt.Sprintf("127.0.0.1:%d", port), namespace: "default",
		cpuPIDs: []int{cmd.Process.Pid},
		size:    func(context.Context) (int64, error) { return dirSize(state) },
		stop:    stop,
	}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if c, err := net.DialTimeout("tcp", s.address, time.Second); err == nil {
			_ = c.Close()
			return s, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("tempest dev exited (log %s)", log.Name())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("tempest dev does not listen on %s after 2 minutes (log %s)", s.address, log.Name())
		}
	}
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// freePort is a loopback port the kernel finds free now (0 if none).
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
