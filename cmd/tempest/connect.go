package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/tempest-chaos/tempest/devserver"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/worker"
)

// localFrontend is where `tempest dev` serves; `tempest run` uses a dev
// server already running there before starting one of its own.
func localFrontend(g *globalFlags) string { return fmt.Sprintf("127.0.0.1:%d", g.port) }

// session is a connection to Temporal, with the embedded server and worker
// it started, if any.
type session struct {
	client   client.Client
	uiBase   string
	embedded bool
	closers  []func()
}

func (s *session) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// uiLink is the Temporal UI page of a workflow run, or "" without a UI.
func (s *session) uiLink(namespace, id, runID string) string {
	if s.uiBase == "" {
		return ""
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", s.uiBase, namespace, id, runID)
}

// connect dials the configured cluster; with no address it uses a local
// `tempest dev` if one is running, else it starts an embedded server (and,
// when withWorker, an in-process worker).
func connect(ctx context.Context, g *globalFlags, withWorker bool) (*session, error) {
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	addr := g.address
	s := &session{}
	if addr == "" && reachable(localFrontend(g)) {
		addr = localFrontend(g)
		s.uiBase = fmt.Sprintf("http://127.0.0.1:%d", g.uiPort)
	}
	if addr == "" {
		if err := os.MkdirAll(g.stateDir, 0o755); err != nil {
			return nil, fmt.Errorf("state dir: %w", err)
		}
		srv, err := devserver.Start(ctx, devserver.Config{
			DBPath:           filepath.Join(g.stateDir, "temporal.db"),
			IP:               "127.0.0.1",
			FrontendPort:     g.port,
			UIPort:           g.uiPort,
			Namespaces:       []string{g.namespace},
			SearchAttributes: worker.SearchAttributes(),
		})
		if err != nil {
			return nil, fmt.Errorf("start embedded Temporal server: %w", err)
		}
		s.embedded = true
		s.closers = append(s.closers, func() { _ = srv.Stop() })
		s.uiBase = srv.UIAddress()
		addr = srv.FrontendAddress()
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.DialContext(dctx, client.Options{HostPort: addr, Namespace: g.namespace, Logger: quiet})
	if err != nil {
		s.Close()
		return nil, &exitError{code: exitErrored, err: fmt.Errorf("cannot reach Temporal at %s: %w", addr, err)}
	}
	s.client = c
	s.closers = append(s.closers, c.Close)
	if s.embedded {
		if err := worker.EnsureSearchAttributes(ctx, c, g.namespace); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.embedded && withWorker {
		stop, _, err := startWorkers(c, g, worker.Config{})
		if err != nil {
			s.Close()
			return nil, err
		}
		s.closers = append(s.closers, stop)
	}
	return s, nil
}

// startWorkers starts this process's workers on the queues of its
// routing (worker.Routing: the task queue, its host's queue, its
// cluster's), with the Kubernetes kinds when --kubeconfig is set, and the
// watchdog that reverts what ended runs left in their ledger.
func startWorkers(c client.Client, g *globalFlags, cfg worker.Config) (stop func(), queues []worker.Queue, err error) {
	if g.kubeconfig != "" {
		kc, _, err := kube.NewClient(g.kubeconfig)
		if err != nil {
			return nil, nil, &exitError{code: exitErrored, err: fmt.Errorf("--kubeconfig %s: %w", g.kubeconfig, err)}
		}
		cfg.Kube = kc
		cfg.FenceNamespace = kubeNamespace(g.kubeconfig)
	}
	cfg.Temporal = c
	id, err := worker.LocalIdentity(context.Background(), g.host.value, g.cluster.value, cfg.Kube)
	if err != nil {
		return nil, nil, &exitError{code: exitErrored, err: err}
	}
	cfg.Identity = id
	acts, closeActs := worker.NewActivities(cfg)
	stops := []func(){closeActs, worker.StartWatchdog(c, acts, 0)}
	stopAll := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	stopWorkers, err := worker.StartRouted(c, g.routing(id, cfg.Kube != nil), acts)
	if err != nil {
		stopAll()
		return nil, nil, err
	}
	stops = append(stops, stopWorkers)
	return stopAll, g.routing(id, cfg.Kube != nil).Queues(), nil
}

// reachable reports whether something accepts TCP connections at addr.
func reachable(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}
