package demoenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/broker"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/ferretsqlite"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/orders"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/system"
	"github.com/tempest-chaos/tempest/mongoembed"
)

// Config places the demo environment.
type Config struct {
	// StateDir holds the brokers' and FerretDB's files.
	StateDir string
	// MongoURI uses this MongoDB instead of an embedded FerretDB.
	MongoURI string
	// MongoAddr is the embedded FerretDB's listen address.
	MongoAddr string
	// V1 and V2 place each version.
	V1, V2 Placement
	Logger *slog.Logger
}

// Placement is where one version listens.
type Placement struct {
	Broker       broker.Config
	Database     string
	OrderAddr    string
	DeliveryAddr string
}

// DefaultConfig is the demo's fixed layout; the experiments name these ports.
func DefaultConfig(stateDir string) Config {
	return Config{
		StateDir:  stateDir,
		MongoAddr: "127.0.0.1:27117",
		V1: Placement{
			Broker:       broker.Config{Nodes: 1, BasePort: 5672, DistBasePort: 25672, EPMDPort: 4371, NamePrefix: "odv1-rabbit"},
			Database:     "delivery_v1",
			OrderAddr:    "127.0.0.1:18081",
			DeliveryAddr: "127.0.0.1:18082",
		},
		V2: Placement{
			Broker:       broker.Config{Nodes: 3, BasePort: 5673, DistBasePort: 25673, EPMDPort: 4372, NamePrefix: "odv2-rabbit", Queue: "orders"},
			Database:     "delivery_v2",
			OrderAddr:    "127.0.0.1:18091",
			DeliveryAddr: "127.0.0.1:18092",
		},
	}
}

// BrokerDir is the state dir of version v's brokers under stateDir.
func BrokerDir(stateDir string, v system.Version) string {
	return filepath.Join(stateDir, string(v), "broker")
}

// Env is a running demo environment.
type Env struct {
	// Vars are the addresses written to StateDir/env.
	Vars map[string]string

	stateDir string
	mongo    *mongoembed.Server
	clusters []*broker.Cluster
	systems  []*system.System
}

// Up starts the environment.
func Up(ctx context.Context, cfg Config) (*Env, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	stateDir, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("demoenv: %w", err)
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("demoenv: %w", err)
	}
	e := &Env{stateDir: stateDir, Vars: map[string]string{}}
	if err := e.up(ctx, cfg); err != nil {
		return nil, errors.Join(err, e.Close())
	}
	return e, nil
}

func (e *Env) up(ctx context.Context, cfg Config) error {
	if err := os.WriteFile(filepath.Join(e.stateDir, "up.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("demoenv: %w", err)
	}
	mongoURI := cfg.MongoURI
	if mongoURI == "" {
		srv, err := mongoembed.Start(ctx, mongoembed.Config{Dir: filepath.Join(e.stateDir, "mongo"), Addr: cfg.MongoAddr})
		if err != nil {
			return fmt.Errorf("demoenv: FerretDB: %w", err)
		}
		e.mongo = srv
		mongoURI = srv.URI()
	}
	e.Vars["MONGO_URI"] = mongoURI

	versions := []struct {
		v system.Version
		p Placement
	}{{system.V1, cfg.V1}, {system.V2, cfg.V2}}
	clusters := make([]*broker.Cluster, len(versions))
	for k, ver := range versions {
		bc := ver.p.Broker
		bc.StateDir = BrokerDir(e.stateDir, ver.v)
		c, err := broker.New(bc)
		if err != nil {
			return err
		}
		clusters[k] = c
		e.clusters = append(e.clusters, c)
	}
	// Both clusters boot at once: most of their start is waiting.
	errs := make([]error, len(clusters))
	var wg sync.WaitGroup
	for k, c := range clusters {
		wg.Go(func() { errs[k] = c.Start(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for k, ver := range versions {
		sys, err := system.Start(ctx, system.Config{
			Version: ver.v, MongoURI: mongoURI, Database: ver.p.Database, BrokerURLs: clusters[k].URLs(),
			OrderAddr: ver.p.OrderAddr, DeliveryAddr: ver.p.DeliveryAddr, Logger: cfg.Logger,
		})
		if err != nil {
			return err
		}
		e.systems = append(e.systems, sys)
		if e.mongo != nil {
			if err := ferretsqlite.IndexIDs(ctx, filepath.Join(e.stateDir, "mongo"), ver.p.Database, orders.Collection); err != nil {
				return err
			}
		}
		prefix := strings.ToUpper(string(ver.v)) + "_"
		cc := clusters[k].Config()
		ports := make([]string, cc.Nodes)
		for i := range ports {
			ports[i] = strconv.Itoa(cc.Port(i + 1))
		}
		e.Vars[prefix+"ORDER_URL"] = sys.OrderURL
		e.Vars[prefix+"DELIVERY_URL"] = sys.DeliveryURL
		e.Vars[prefix+"DATABASE"] = ver.p.Database
		e.Vars[prefix+"BROKER_PORTS"] = strings.Join(ports, ",")
		e.Vars[prefix+"BROKER_STATE"] = cc.StateDir
	}
	v2 := clusters[1]
	if err := v2.WriteLeaderPIDFile(ctx); err != nil {
		return err
	}
	e.Vars["V2_LEADER_PIDFILE"] = v2.Config().LeaderPIDFile()
	return os.WriteFile(filepath.Join(e.stateDir, "env"), []byte(e.String()), 0o644)
}

// String lists Vars as sorted KEY=VALUE lines.
func (e *Env) String() string {
	keys := make([]string, 0, len(e.Vars))
	for k := range e.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, e.Vars[k])
	}
	return b.String()
}

// Close stops the services, the brokers and FerretDB.
func (e *Env) Close() error {
	var errs []error
	for _, s := range e.systems {
		errs = append(errs, s.Close())
	}
	var wg sync.WaitGroup
	stopErrs := make([]error, len(e.clusters))
	for k, c := range e.clusters {
		wg.Go(func() { stopErrs[k] = c.Stop(10 * time.Second) })
	}
	wg.Wait()
	errs = append(errs, stopErrs...)
	if e.mongo != nil {
		e.mongo.Close()
	}
	_ = os.Remove(filepath.Join(e.stateDir, "up.pid"))
	_ = os.Remove(filepath.Join(e.stateDir, "env"))
	return errors.Join(errs...)
}

// Down stops the environment started by Up in another process: SIGTERM to
// that process, a wait of up to grace for it to exit, then a stop of any
// broker still running.
func Down(stateDir string, grace time.Duration) error {
	b, err := os.ReadFile(filepath.Join(stateDir, "up.pid"))
	if err == nil {
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && isUpProcess(pid) {
			if syscall.Kill(pid, syscall.SIGTERM) == nil {
				deadline := time.Now().Add(grace)
				for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
	}
	var errs []error
	for _, v := range []system.Version{system.V1, system.V2} {
		c, err := broker.Load(BrokerDir(stateDir, v))
		if err != nil {
			continue // never started
		}
		errs = append(errs, c.Stop(10*time.Second))
	}
	return errors.Join(errs...)
}

// isUpProcess reports whether pid runs "demo-env up" (a stale pid file may
// name a recycled pid).
func isUpProcess(pid int) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return err == nil && strings.Contains(string(cmdline), "demo-env")
}
