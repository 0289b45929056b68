package prometheus_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	promenv "github.com/tempest-chaos/tempest/testenv/prometheus"
)

func TestScrapesATestServer(t *testing.T) {
	registry := prometheus.NewRegistry()
	gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tempest_harness_gauge", Help: "set by the test"})
	registry.MustRegister(gauge)
	gauge.Set(42)
	target := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	t.Cleanup(target.Close)

	start := time.Now()
	srv := promenv.Start(t, promenv.Config{Targets: []string{strings.TrimPrefix(target.URL, "http://")}})
	t.Logf("prometheus ready at %s in %v", srv.URL, time.Since(start))
	srv.WaitFor(t, "tempest_harness_gauge == 42", 15*time.Second)
	t.Logf("first scrape visible after %v", time.Since(start))
}
