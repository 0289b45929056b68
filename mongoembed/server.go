package mongoembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Config says where the server keeps its data and listens.
type Config struct {
	// Dir holds the SQLite database files; it is created if missing.
	Dir string
	// Addr is the TCP listen address (default 127.0.0.1:0, a free port).
	Addr string
	// Logger receives FerretDB's logs (default: errors only, to stderr).
	Logger *slog.Logger
	// ReadyTimeout bounds how long Start waits for the port to accept
	// connections (default 10s).
	ReadyTimeout time.Duration
}

// Server is a running embedded FerretDB.
type Server struct {
	uri    string
	cancel context.CancelFunc
	done   chan error
}

// Start starts FerretDB and returns when it accepts connections. The server
// runs until Close is called; canceling ctx only bounds the start.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("mongoembed: Config.Dir is required")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("mongoembed: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mongoembed: data dir: %w", err)
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 10 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: cfg.Addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		return nil, fmt.Errorf("mongoembed: %w", err)
	}

	// The server outlives ctx, which only bounds the start.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- f.Run(runCtx) }()

	// MongoDBURI blocks until the listener is bound.
	uriReady := make(chan string, 1)
	go func() { uriReady <- f.MongoDBURI() }()
	wait, stop := context.WithTimeout(ctx, cfg.ReadyTimeout)
	defer stop()
	select {
	case s.uri = <-uriReady:
	case err := <-s.done:
		cancel()
		return nil, fmt.Errorf("mongoembed: server stopped while starting: %v", err)
	case <-wait.Done():
		s.Close()
		return nil, fmt.Errorf("mongoembed: not listening on %s: %w", cfg.Addr, wait.Err())
	}
	if err := waitAccepting(wait, hostOf(s.uri)); err != nil {
		s.Close()
		return nil, fmt.Errorf("mongoembed: %w", err)
	}
	return s, nil
}

// URI is the server's connection string ("mongodb://127.0.0.1:PORT/").
func (s *Server) URI() string { return s.uri }

// Close stops the server and waits until it has stopped. It is safe to call
// more than once.
func (s *Server) Close() {
	s.cancel()
	if err, ok := <-s.done; ok {
		_ = err // Run only reports nil; the channel is closed below.
		close(s.done)
	}
}

func hostOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Host
}

func waitAccepting(ctx context.Context, addr string) error {
	var dialer net.Dialer
	for {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not accepting connections: %w", addr, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
