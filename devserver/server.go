package devserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	uiserver "github.com/temporalio/ui-server/v2/server"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// clusterName names the single embedded cluster.
const clusterName = "active"

// Server is a running embedded Temporal server and, optionally, Web UI.
type Server struct {
	cfg      Config
	temporal temporal.Server
	ui       *uiserver.Server
	// stopping quiets the server's logger during shutdown.
	stopping *atomic.Bool

	stopOnce sync.Once
	stopErr  error
}

// Start starts a server as described by cfg and returns once it is ready
// (see the package contract). ctx bounds the start-up only; the server runs
// until Stop.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkPortFree(cfg.IP, cfg.FrontendPort); err != nil {
		return nil, fmt.Errorf("devserver: frontend: %w", err)
	}
	sqlConf := sqlConfig(cfg)
	if err := preparePersistence(cfg, sqlConf, clusterName); err != nil {
		return nil, err
	}
	serverConf, err := serverConfig(cfg, sqlConf)
	if err != nil {
		return nil, err
	}
	stopping := &atomic.Bool{}
	ts, err := temporal.NewServer(
		temporal.WithConfig(serverConf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(staticHosts(serverConf)),
		temporal.WithLogger(slogAdapter{logger: cfg.Logger, stopping: stopping}),
		temporal.WithDynamicConfigClient(devDynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: build server: %w", err)
	}
	if err := ts.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start server: %w", err)
	}
	s := &Server{cfg: cfg, temporal: ts, stopping: stopping}
	if err := s.becomeReady(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// becomeReady waits for the frontend, reconciles search attributes on every
// namespace and starts the UI.
func (s *Server) becomeReady(ctx context.Context) error {
	c, err := sdkclient.DialContext(ctx, sdkclient.Options{
		HostPort: s.FrontendAddress(),
		Logger:   sdklog.NewStructuredLogger(s.cfg.Logger),
	})
	if err != nil {
		return fmt.Errorf("devserver: frontend not ready: %w", err)
	}
	defer c.Close()
	for _, ns := range s.cfg.Namespaces {
		if err := ensureSearchAttributes(ctx, c, ns, s.cfg.SearchAttributes); err != nil {
			return err
		}
	}
	if s.cfg.UIPort == UIDisabled {
		return nil
	}
	s.ui, err = startUI(ctx, s.cfg, s.FrontendAddress())
	return err
}

// FrontendAddress is the gRPC host:port clients and workers dial,
// e.g. "127.0.0.1:7233".
func (s *Server) FrontendAddress() string {
	return hostPort(s.cfg.IP, s.cfg.FrontendPort)
}

// UIAddress is the Web UI's base URL, e.g. "http://127.0.0.1:8233", or ""
// when the UI is disabled.
func (s *Server) UIAddress() string {
	if s.cfg.UIPort == UIDisabled {
		return ""
	}
	return "http://" + hostPort(s.cfg.IP, s.cfg.UIPort)
}

// Namespaces lists the namespaces the server was started with.
func (s *Server) Namespaces() []string {
	return append([]string(nil), s.cfg.Namespaces...)
}

// Stop stops the UI and the server. Calling it again returns the first
// call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		if s.ui != nil {
			s.ui.Stop()
		}
		if err := s.temporal.Stop(); err != nil {
			s.stopErr = fmt.Errorf("devserver: stop server: %w", err)
		}
	})
	return s.stopErr
}

// serverConfig builds the static server configuration: one history shard,
// SQLite for both history and visibility, every service on cfg.IP with the
// internal services on free ports.
func serverConfig(cfg Config, sqlConf *config.SQL) (*config.Config, error) {
	httpPort, err := freePort(cfg.IP)
	if err != nil {
		return nil, err
	}
	frontend := config.Service{RPC: config.RPC{GRPCPort: cfg.FrontendPort, HTTPPort: httpPort, BindOnIP: cfg.IP}}
	services := map[string]config.Service{string(primitives.FrontendService): frontend}
	for _, name := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		port, err := freePort(cfg.IP)
		if err != nil {
			return nil, err
		}
		services[string(name)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: cfg.IP}}
	}

	const store = "sqlite"
	conf := &config.Config{
		Services: services,
		Persistence: config.Persistence{
			DefaultStore:     store,
			VisibilityStore:  store,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{store: {SQL: sqlConf}},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {
					Enabled:                true,
					InitialFailoverVersion: 1,
					RPCAddress:             hostPort(cfg.IP, cfg.FrontendPort),
					HTTPAddress:            hostPort(cfg.IP, httpPort),
				},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		PublicClient:        config.PublicClient{HostPort: hostPort(cfg.IP, cfg.FrontendPort)},
	}
	conf.Global.Membership.BroadcastAddress = cfg.IP
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	return conf, nil
}

// staticHosts pins every service to its single local address, so no
// membership gossip is needed.
func staticHosts(conf *config.Config) map[primitives.ServiceName]static.Hosts {
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(hostPort(svc.RPC.BindOnIP, svc.RPC.GRPCPort))
	}
	return hosts
}

// devDynamicConfig tunes the server for a single-process dev cluster.
func devDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// A smaller mutable-state cache: one process, modest memory.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
		// The UI and `tempest status` list workflows often.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
}
