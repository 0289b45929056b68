package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tempest-chaos/tempest/devserver"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/temporalconn"
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

// connect dials the configured cluster. With no address it uses a
// `tempest dev` (or whatever listens) on 127.0.0.1:--port, saying so; if
// nothing does, a command that may start the embedded server (run, dev)
// starts it, with an in-process worker when withWorker, and the others
// fail. A command that needs a worker (withWorker) and attached to a
// server says whether one polls the task queue.
func connect(ctx context.Context, g *globalFlags, withWorker bool) (*session, error) {
	notes := g.notes
	if notes == nil {
		notes = io.Discard
	}
	if err := g.limits.Validate(); err != nil { // before anything starts
		return nil, &exitError{code: exitErrored, err: err}
	}
	conn, err := loadConnection(g)
	if err != nil {
		return nil, &exitError{code: exitErrored, err: err}
	}
	g.connSettings = conn
	addr := g.address
	s := &session{}
	// via says why a server this command did not start is used.
	via := ""
	switch {
	case addr != "":
		via = "--address"
	case reachable(localFrontend(g)):
		addr = localFrontend(g)
		s.uiBase = fmt.Sprintf("http://127.0.0.1:%d", g.uiPort)
		via = fmt.Sprintf("already running: a tempest dev, or another server on --port %d", g.port)
	case !g.mayServe:
		return nil, &exitError{code: exitErrored, err: fmt.Errorf("no Temporal server at %s: start one with `tempest dev`, or pass --address", localFrontend(g))}
	case conn.TLS():
		return nil, &exitError{code: exitErrored, err: fmt.Errorf("--tls, --tls-* and --api-key need --address: the embedded server serves no TLS")}
	default:
		srv, stopCodec, err := startEmbedded(ctx, g)
		if err != nil {
			return nil, err
		}
		s.embedded = true
		s.closers = append(s.closers, func() { _ = srv.Stop(); stopCodec() })
		s.uiBase = srv.UIAddress()
		addr = srv.FrontendAddress()
		if withWorker {
			fmt.Fprintf(notes, "no Temporal server at %s: started an embedded one (history in %s, UI %s) with a worker in this process\n",
				addr, g.stateDir, s.uiBase)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := conn.Dial(dctx, client.Options{HostPort: addr, Namespace: g.namespace, Logger: sdkLogger(os.Stderr, slog.Level(g.logLevel))})
	if err != nil {
		s.Close()
		if tlsErr := (*temporalconn.TLSError)(nil); errors.As(err, &tlsErr) {
			return nil, &exitError{code: exitErrored, err: tlsErr}
		}
		if g.address == "" && !s.embedded {
			return nil, &exitError{code: exitErrored, err: fmt.Errorf("something listens on %s but does not answer as Temporal (%w); pass --address, or --port for another port", addr, err)}
		}
		return nil, &exitError{code: exitErrored, err: fmt.Errorf("cannot reach Temporal at %s: %w", addr, err)}
	}
	s.client = c
	s.closers = append(s.closers, c.Close)
	if via != "" && (withWorker || g.address == "") {
		if withWorker {
			via += "; " + pollersNote(ctx, c, g)
		}
		fmt.Fprintf(notes, "using the Temporal server at %s (%s)\n", addr, via)
	}
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

// startEmbedded starts the embedded server on 127.0.0.1:--port, its UI on
// --ui-port and its history in --state-dir; with --codec-key, the codec
// its UI decodes with (stopCodec stops it).
func startEmbedded(ctx context.Context, g *globalFlags) (_ *devserver.Server, stopCodec func(), _ error) {
	if err := os.MkdirAll(g.stateDir, 0o755); err != nil {
		return nil, nil, &exitError{code: exitErrored, err: fmt.Errorf("--state-dir: %w", err)}
	}
	// The ports are checked here too, so the error names the flag
	// (devserver checks them again; the check and the bind are not atomic).
	for _, p := range []struct {
		flag string
		port int
	}{{"--port", g.port}, {"--ui-port", g.uiPort}} {
		if !reachable(fmt.Sprintf("127.0.0.1:%d", p.port)) {
			continue
		}
		return nil, nil, &exitError{code: exitErrored, err: fmt.Errorf("cannot start the embedded Temporal server: 127.0.0.1:%d (%s) is in use; pick another with %s", p.port, p.flag, p.flag)}
	}
	codecEndpoint, stopCodec, err := serveUICodec(g.connSettings, g.uiPort)
	if err != nil {
		return nil, nil, &exitError{code: exitErrored, err: err}
	}
	srv, err := devserver.Start(ctx, devserver.Config{
		DBPath:           filepath.Join(g.stateDir, "temporal.db"),
		IP:               "127.0.0.1",
		FrontendPort:     g.port,
		UIPort:           g.uiPort,
		Namespaces:       []string{g.namespace},
		SearchAttributes: worker.SearchAttributes(),
		Logger:           newLogger(os.Stderr, slog.Level(g.logLevel)),
		CodecEndpoint:    codecEndpoint,
	})
	if err != nil {
		stopCodec()
		// devserver's errors carry their own "devserver:" prefix.
		return nil, nil, &exitError{code: exitErrored, err: fmt.Errorf("cannot start the embedded Temporal server: %w", err)}
	}
	return srv, stopCodec, nil
}

// pollersNote says whether a worker polls the workflows of the task queue.
func pollersNote(ctx context.Context, c client.Client, g *globalFlags) string {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := c.DescribeTaskQueue(qctx, g.taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot tell whether a Tempest worker polls %s: %v", g.taskQueue, err)
	case len(d.GetPollers()) == 0:
		addr := g.address
		if addr == "" {
			addr = localFrontend(g)
		}
		return fmt.Sprintf("no Tempest worker polls %s: start one with `tempest worker --address %s`", g.taskQueue, addr)
	case len(d.GetPollers()) == 1:
		return fmt.Sprintf("a Tempest worker polls %s (%s)", g.taskQueue, d.GetPollers()[0].GetIdentity())
	default:
		return fmt.Sprintf("%d Tempest workers poll %s", len(d.GetPollers()), g.taskQueue)
	}
}

// startWorkers starts this process's workers on the queues of its
// routing (worker.Routing: the task queue, its host's queue, its
// cluster's), with the Kubernetes kinds when --kubeconfig is set (or, in
// a pod without one, through the pod's ServiceAccount), and the watchdog
// that reverts what ended runs left in their ledger.
func startWorkers(c client.Client, g *globalFlags, cfg worker.Config) (stop func(), queues []worker.Queue, err error) {
	if g.kubeconfig != "" {
		kc, _, err := kube.NewClient(g.kubeconfig)
		if err != nil {
			return nil, nil, &exitError{code: exitErrored, err: fmt.Errorf("--kubeconfig %s: %w", g.kubeconfig, err)}
		}
		cfg.Kube = kc
		cfg.FenceNamespace = kubeNamespace(g.kubeconfig)
	} else if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		// In a pod: its ServiceAccount, if one is mounted.
		kc, ns, err := inClusterClient()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, &exitError{code: exitErrored, err: fmt.Errorf("no --kubeconfig in a pod: %w", err)}
		}
		cfg.Kube, cfg.FenceNamespace = kc, ns
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
	routing := g.routing(id, cfg.Kube != nil)
	stopWorkers, err := worker.StartRouted(c, routing, acts)
	if err != nil {
		stopAll()
		return nil, nil, err
	}
	stops = append(stops, stopWorkers)
	return stopAll, routing.Queues(), nil
}

// serviceAccountDirEnv names a directory that stands for the pod's
// ServiceAccount mount (token, ca.crt, namespace) when set; tests use it
// to run a worker binary as a pod's stand-in.
const serviceAccountDirEnv = "TEMPEST_SERVICEACCOUNT_DIR"

// inClusterClient is the Kubernetes client of a worker in a pod with no
// kubeconfig: the pod's ServiceAccount (rest.InClusterConfig), and the
// pod's namespace, where the worker keeps its revert fences. Without a
// mounted token it fails with an error that is fs.ErrNotExist.
func inClusterClient() (kubernetes.Interface, string, error) {
	dir := os.Getenv(serviceAccountDirEnv)
	if dir == "" {
		dir = "/var/run/secrets/kubernetes.io/serviceaccount"
	}
	if _, err := os.Stat(filepath.Join(dir, "token")); err != nil {
		return nil, "", fmt.Errorf("the pod's ServiceAccount token: %w", err)
	}
	var cfg *rest.Config
	if os.Getenv(serviceAccountDirEnv) == "" {
		c, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("in-cluster Kubernetes config: %w", err)
		}
		cfg = c
	} else {
		// What rest.InClusterConfig builds, from dir.
		cfg = &rest.Config{
			Host:            "https://" + net.JoinHostPort(os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")),
			TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(dir, "ca.crt")},
			BearerTokenFile: filepath.Join(dir, "token"),
		}
	}
	cfg.QPS, cfg.Burst = 50, 100
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("in-cluster Kubernetes client: %w", err)
	}
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		b, err := os.ReadFile(filepath.Join(dir, "namespace"))
		if err != nil {
			return nil, "", fmt.Errorf("the pod's namespace: %w", err)
		}
		ns = strings.TrimSpace(string(b))
	}
	return kc, ns, nil
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
