// Package devtest starts embedded Temporal servers for integration tests.
//
// Contract: Start gives a test a ready in-memory server (its own database,
// free ports on 127.0.0.1, Tempest's search attributes registered on the
// "default" namespace, no Web UI) and a client on that namespace; both are
// closed by t.Cleanup. Failures are t.Fatal, never t.Skip: a test that needs
// a server must not pass without one. Kept apart from devserver so
// production code never imports testing.
package devtest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/tempest-chaos/tempest/devserver"
)

// StartTimeout bounds server start-up in tests.
const StartTimeout = 30 * time.Second

// Start starts an in-memory server with Tempest's search attributes and no
// UI, and a client on its default namespace.
func Start(t testing.TB) (*devserver.Server, client.Client) {
	t.Helper()
	return StartWith(t, devserver.Config{
		UIPort:           devserver.UIDisabled,
		SearchAttributes: devserver.TempestSearchAttributes(),
	})
}

// StartWith starts a server from cfg (zero fields get devserver's
// defaults: in memory, free ports) and a client on its first namespace.
func StartWith(t testing.TB, cfg devserver.Config) (*devserver.Server, client.Client) {
	t.Helper()
	logger := quietLogger()
	if cfg.Logger == nil {
		cfg.Logger = logger
	}
	ctx, cancel := context.WithTimeout(t.Context(), StartTimeout)
	defer cancel()
	srv, err := devserver.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("devtest: start embedded Temporal server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("devtest: stop embedded Temporal server: %v", err)
		}
	})
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  srv.FrontendAddress(),
		Namespace: srv.Namespaces()[0],
		Logger:    sdklog.NewStructuredLogger(logger),
	})
	if err != nil {
		t.Fatalf("devtest: dial embedded Temporal server at %s: %v", srv.FrontendAddress(), err)
	}
	t.Cleanup(c.Close)
	return srv, c
}

// quietLogger logs warnings and errors to stderr. It does not use t.Log:
// server goroutines may log after the test has finished.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
