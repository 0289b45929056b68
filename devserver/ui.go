package devserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// uiReadyInterval is how often startUI polls the UI's health endpoint.
const uiReadyInterval = 20 * time.Millisecond

// startUI serves the Web UI on cfg.IP:cfg.UIPort against the frontend at
// frontendAddr and returns once it answers /healthz.
//
// The UI server's Start exits the process when it cannot listen, so the
// port is checked first; the check and the real bind are not atomic.
func startUI(ctx context.Context, cfg Config, frontendAddr string) (*uiserver.Server, error) {
	if err := checkPortFree(cfg.IP, cfg.UIPort); err != nil {
		return nil, fmt.Errorf("devserver: web UI: %w", err)
	}
	ui := uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                cfg.IP,
		Port:                cfg.UIPort,
		TemporalGRPCAddress: frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    cfg.Namespaces[0],
		CORS:                uiconfig.CORS{CookieInsecure: true},
		Codec:               uiconfig.Codec{Endpoint: cfg.CodecEndpoint},
		HideLogs:            true,
		// The UI must not reach out to the internet.
		DisableNewsFetch: true,
	}))
	served := make(chan error, 1)
	go func() { served <- ui.Start() }()

	healthURL := fmt.Sprintf("http://%s/healthz", hostPort(cfg.IP, cfg.UIPort))
	ticker := time.NewTicker(uiReadyInterval)
	defer ticker.Stop()
	for {
		if uiHealthy(ctx, healthURL) {
			return ui, nil
		}
		select {
		case err := <-served:
			if err == nil {
				err = errors.New("server closed")
			}
			return nil, fmt.Errorf("devserver: web UI stopped while starting: %w", err)
		case <-ctx.Done():
			ui.Stop()
			return nil, fmt.Errorf("devserver: web UI not ready: %w", ctx.Err())
		case <-ticker.C:
		}
	}
}

// uiHealthy reports whether url answers 200.
func uiHealthy(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
