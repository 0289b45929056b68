package metrics

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeSDKAndTempestMetrics serves a registry holding Tempest's
// recorder and the Temporal SDK's handler: SDK counters are Prometheus
// counters (_total), timers histograms in seconds, and every family has
// help text.
func TestServeSDKAndTempestMetrics(t *testing.T) {
	rec := NewPrometheus("process")
	reg, err := Registry(rec)
	if err != nil {
		t.Fatal(err)
	}
	h, stop, err := SDKHandler(reg)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tagged := h.WithTags(map[string]string{"namespace": "default", "task_queue": "tempest"})
	tagged.Counter("temporal_request").Inc(2)
	tagged.Timer("temporal_request_latency").Record(3e8) // 300 ms
	tagged.Gauge("temporal_num_pollers").Update(2)
	rec.ExperimentsRunning(map[string]int{"kill-api": 1})

	srv, err := Serve("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	for _, want := range []string{
		`# TYPE temporal_request_total counter`,
		`temporal_request_total{namespace="default",task_queue="tempest"} 2`,
		`temporal_request_latency_seconds_bucket{namespace="default",task_queue="tempest",le="0.5"} 1`,
		`temporal_num_pollers{namespace="default",task_queue="tempest"} 2`,
		`# HELP temporal_num_pollers Temporal SDK metric temporal_num_pollers.`,
		`tempest_experiments_running{experiment="kill-api"} 1`,
		// Seen running: its verdicts count from 0, so increase() sees its close.
		`tempest_experiments_total{experiment="kill-api",verdict="Passed"} 0`,
		`tempest_faults_active{kind="process"} 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "otel_scope") || strings.Contains(body, "target_info") {
		t.Error("OpenTelemetry's scope and target series are served")
	}
	rec.ExperimentsRunning(map[string]int{})
	if strings.Contains(gatherText(t, rec), `tempest_experiments_running{experiment="kill-api"}`) {
		t.Error("an experiment no longer running is still reported running")
	}
}

func gatherText(t *testing.T, rec *Prometheus) string {
	t.Helper()
	reg, err := Registry(rec)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Serve("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
