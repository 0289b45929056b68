package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/delivery"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/mq"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/order"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/orders"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/outbox"
)

// Version selects the implementation.
type Version string

// Versions.
const (
	V1 Version = "v1"
	V2 Version = "v2"
)

// Config describes one running version.
type Config struct {
	Version Version
	// MongoURI and Database locate the order store.
	MongoURI string
	Database string
	// BrokerURLs are the AMQP URLs of the broker nodes (one for V1).
	BrokerURLs []string
	// Queue is the queue name (default "orders").
	Queue string
	// OrderAddr and DeliveryAddr are the HTTP listen addresses (default 127.0.0.1:0).
	OrderAddr    string
	DeliveryAddr string
	Logger       *slog.Logger
}

// System is one running version.
type System struct {
	// OrderURL and DeliveryURL are the services' base URLs ("http://127.0.0.1:18081").
	OrderURL    string
	DeliveryURL string

	store *orders.Store
	// orderStore is the order service's own connection pool: in the seed
	// the services are separate processes, and a busy delivery side must
	// not queue the order service's inserts behind its updates.
	orderStore *orders.Store
	servers    []*http.Server
	closers    []func()
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// Store is the order store the system uses.
func (s *System) Store() *orders.Store { return s.store }

// Start starts the services of cfg.Version.
func Start(ctx context.Context, cfg Config) (*System, error) {
	if cfg.Version != V1 && cfg.Version != V2 {
		return nil, fmt.Errorf("system: version %q: want v1 or v2", cfg.Version)
	}
	if cfg.Queue == "" {
		cfg.Queue = "orders"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("version", string(cfg.Version))
	store, err := orders.Open(ctx, cfg.MongoURI, cfg.Database)
	if err != nil {
		return nil, err
	}
	orderStore, err := orders.Open(ctx, cfg.MongoURI, cfg.Database)
	if err != nil {
		_ = store.Close(ctx)
		return nil, err
	}
	declare := mq.V1Queue
	if cfg.Version == V2 {
		declare = mq.V2Queue
	}
	if err := declareOnce(ctx, mq.NewDialer(cfg.BrokerURLs, time.Second), cfg.Queue, declare); err != nil {
		_ = store.Close(ctx)
		_ = orderStore.Close(ctx)
		return nil, err
	}
	// The system outlives Start's context: it runs until Close.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &System{store: store, orderStore: orderStore, cancel: cancel}
	acceptor, extra := s.wire(runCtx, cfg, declare)
	orderSvc := order.New(acceptor, cfg.Logger, extra...)
	inspector := mq.NewInspector(mq.NewDialer(cfg.BrokerURLs, time.Second), cfg.Queue)
	s.closers = append(s.closers, inspector.Close)
	deliverySvc := delivery.New(store, cfg.Logger, delivery.Options{AwaitSent: cfg.Version == V2, QueueDepth: inspector.Depth})
	s.wg.Go(func() {
		_ = mq.Consume(runCtx, mq.NewDialer(cfg.BrokerURLs, time.Second), consumeConfig(cfg, declare), deliverySvc.Deliver)
	})
	if s.OrderURL, err = s.serve(cfg.OrderAddr, orderSvc.Handler()); err == nil {
		s.DeliveryURL, err = s.serve(cfg.DeliveryAddr, deliverySvc.Handler())
	}
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// wire builds the version's Acceptor (and, for V2, starts the relay).
func (s *System) wire(ctx context.Context, cfg Config, declare mq.Declare) (order.Acceptor, []prometheus.Collector) {
	dialer := mq.NewDialer(cfg.BrokerURLs, time.Second)
	if cfg.Version == V1 {
		pub := mq.NewFireAndForget(dialer, cfg.Queue, declare, time.Second)
		s.closers = append(s.closers, pub.Close)
		return order.V1{Store: s.orderStore, Publisher: pub}, nil
	}
	pub := mq.NewConfirmPublisher(dialer, cfg.Queue, declare, 5*time.Second)
	s.closers = append(s.closers, pub.Close)
	metrics := newRelayMetrics()
	// The sweep reads the whole collection (FerretDB filters and sorts
	// outside SQLite): every 5 s rather than every second, since the fast
	// path (Enqueue) carries the orders and the sweep only catches up.
	relay := outbox.New(s.store, pub, outbox.Config{Logger: cfg.Logger, Observer: metrics, SweepInterval: 5 * time.Second})
	s.wg.Go(func() { _ = relay.Run(ctx) })
	return order.V2{Store: s.orderStore, Relay: relay}, metrics.collectors()
}

func consumeConfig(cfg Config, declare mq.Declare) mq.ConsumeConfig {
	cc := mq.ConsumeConfig{Queue: cfg.Queue, Declare: declare, Logger: cfg.Logger}
	if cfg.Version == V1 {
		cc.AutoAck = true
		cc.RetryEvery = time.Second
		return cc
	}
	cc.Prefetch = 100
	cc.Workers = 16
	cc.RetryEvery = 200 * time.Millisecond
	return cc
}

// declareOnce declares the queue so it exists before the first order.
func declareOnce(ctx context.Context, d *mq.Dialer, queue string, declare mq.Declare) error {
	conn, err := d.Dial(ctx)
	if err != nil {
		return fmt.Errorf("system: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("system: channel: %w", err)
	}
	return declare(ch, queue)
}

// serve listens on addr and serves h until Close.
func (s *System) serve(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("system: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	s.servers = append(s.servers, srv)
	s.wg.Go(func() { _ = srv.Serve(ln) })
	return "http://" + ln.Addr().String(), nil
}

// Close stops everything Start started and waits for it.
func (s *System) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("system: http shutdown: %w", err))
		}
	}
	s.cancel()
	s.wg.Wait()
	for _, c := range s.closers {
		c()
	}
	for _, st := range []*orders.Store{s.store, s.orderStore} {
		if err := st.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
