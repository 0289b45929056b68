package prometheus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// InstallHint tells how to get the binary.
const InstallHint = "install Debian's Prometheus: sudo apt-get install -y prometheus"

// Config says what the server scrapes.
type Config struct {
	// Targets are host:port addresses whose /metrics are scraped.
	Targets []string
	// ScrapeInterval between scrapes (default 1s).
	ScrapeInterval time.Duration
	// Binary is the prometheus executable (default: "prometheus" on PATH,
	// else /usr/bin/prometheus).
	Binary string
	// ReadyTimeout bounds the wait for /-/ready (default 30s).
	ReadyTimeout time.Duration
}

// Server is a running Prometheus.
type Server struct {
	// URL is the base URL of the HTTP API ("http://127.0.0.1:PORT").
	URL string
	cmd *exec.Cmd
	log *bytes.Buffer
}

// Start starts Prometheus for the test and stops it when the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.ScrapeInterval <= 0 {
		cfg.ScrapeInterval = time.Second
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	binary, err := findBinary(cfg.Binary)
	if err != nil {
		t.Fatalf("prometheus: %v; %s", err, InstallHint)
	}
	dir := t.TempDir()
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(scrapeConfig(cfg)), 0o644); err != nil {
		t.Fatalf("prometheus: write config: %v", err)
	}

	// A freed port can be taken before Prometheus binds it; retry then.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			t.Fatalf("prometheus: %v", err)
		}
		s, err := start(t, binary, configPath, filepath.Join(dir, fmt.Sprintf("data%d", attempt)), addr, cfg.ReadyTimeout)
		if err == nil {
			return s
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("prometheus: %v", lastErr)
	return nil
}

func start(t testing.TB, binary, configPath, dataDir, addr string, readyTimeout time.Duration) (*Server, error) {
	var logs bytes.Buffer
	cmd := exec.Command(binary,
		"--config.file="+configPath,
		"--storage.tsdb.path="+dataDir,
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s := &Server{URL: "http://" + addr, cmd: cmd, log: &logs}

	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		if ready(s.URL) {
			t.Cleanup(stop)
			return s, nil
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("exited before ready (%v): %s", err, tail(logs.String()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("not ready after %v: %s", readyTimeout, tail(logs.String()))
		}
	}
}

// WaitFor blocks until the instant query returns a non-empty result, or
// fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, query string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		n, err := s.resultCount(t.Context(), query)
		if err == nil && n > 0 {
			return
		}
		last = fmt.Sprintf("%d results, %v", n, err)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("prometheus: query %q still empty after %v (%s); logs: %s", query, timeout, last, tail(s.log.String()))
}

func (s *Server) resultCount(ctx context.Context, query string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	if body.Status != "success" {
		return 0, errors.New(body.Error)
	}
	var results []json.RawMessage
	if err := json.Unmarshal(body.Data.Result, &results); err != nil {
		return 1, nil // a scalar or string result is not empty
	}
	return len(results), nil
}

func scrapeConfig(cfg Config) string {
	quoted := make([]string, len(cfg.Targets))
	for i, target := range cfg.Targets {
		quoted[i] = strconv.Quote(target)
	}
	// Prometheus durations take whole units ("1500ms", not "1.5s").
	interval := fmt.Sprintf("%dms", cfg.ScrapeInterval.Milliseconds())
	return fmt.Sprintf(`global:
  scrape_interval: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
  - job_name: tempest-test
    scrape_interval: %[1]s
    scrape_timeout: %[1]s
    static_configs:
      - targets: [%[2]s]
`, interval, strings.Join(quoted, ", "))
}

func findBinary(name string) (string, error) {
	if name != "" {
		return exec.LookPath(name)
	}
	if path, err := exec.LookPath("prometheus"); err == nil {
		return path, nil
	}
	const debian = "/usr/bin/prometheus"
	if _, err := os.Stat(debian); err != nil {
		return "", fmt.Errorf("no prometheus binary on PATH or at %s", debian)
	}
	return debian, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func ready(base string) bool {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get(base + "/-/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func tail(s string) string {
	const max = 2000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}
