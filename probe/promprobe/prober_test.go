package promprobe_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe/promprobe"
	"github.com/tempest-chaos/tempest/secret"
	promenv "github.com/tempest-chaos/tempest/testenv/prometheus"
)

func promProbe(m experiment.PrometheusProbe) experiment.Probe {
	return experiment.Probe{Name: "slo", Mode: experiment.ModeContinuous, Prometheus: &m}
}

func observe(t *testing.T, p experiment.Probe, timeout time.Duration) experiment.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	obs, err := promprobe.New(secret.Resolver{}).Observe(ctx, p)
	if err != nil {
		t.Fatalf("Observe: unexpected error %v", err)
	}
	return obs
}

func cmpOf(op experiment.Operator, v string, values ...string) experiment.Comparison {
	c := experiment.Comparison{Op: op, Value: experiment.Scalar(v)}
	for _, s := range values {
		c.Values = append(c.Values, experiment.Scalar(s))
	}
	return c
}

// TestAgainstRealPrometheus shares one Prometheus (its first scrape takes
// about 5s) across the cases that need it.
func TestAgainstRealPrometheus(t *testing.T) {
	registry := prometheus.NewRegistry()
	undelivered := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tempest_orders_undelivered", Help: "orders not delivered"})
	depth := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tempest_queue_depth", Help: "per queue"}, []string{"queue"})
	registry.MustRegister(undelivered, depth)
	depth.WithLabelValues("orders").Set(1)
	depth.WithLabelValues("payments").Set(2)
	app := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	t.Cleanup(app.Close)

	prom := promenv.Start(t, promenv.Config{Targets: []string{strings.TrimPrefix(app.URL, "http://")}})
	prom.WaitFor(t, "tempest_orders_undelivered == 0", 20*time.Second)

	t.Run("instant pass then a real breach", func(t *testing.T) {
		p := promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "tempest_orders_undelivered", Expect: cmpOf(experiment.OpEq, "0")})
		if obs := observe(t, p, 5*time.Second); !obs.Passed || obs.Value != "0" {
			t.Fatalf("want pass at 0, got %+v", obs)
		}
		undelivered.Set(3)
		prom.WaitFor(t, "tempest_orders_undelivered == 3", 10*time.Second)
		obs := observe(t, p, 5*time.Second)
		if obs.Passed || obs.Detail != "expected == 0, got 3" {
			t.Fatalf("want fail with expected vs actual, got %+v", obs)
		}
		undelivered.Set(0)
	})

	t.Run("float values compare as floats by default", func(t *testing.T) {
		p := promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "sum(tempest_queue_depth) / 4", Expect: cmpOf(experiment.OpLt, "1")})
		if obs := observe(t, p, 5*time.Second); !obs.Passed || obs.Value != "0.75" {
			t.Fatalf("0.75 < 1: %+v", obs)
		}
	})

	t.Run("scalar result", func(t *testing.T) {
		p := promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "scalar(sum(tempest_queue_depth))", Expect: cmpOf(experiment.OpEq, "3")})
		if obs := observe(t, p, 5*time.Second); !obs.Passed {
			t.Fatalf("scalar 3: %+v", obs)
		}
	})

	t.Run("empty vector fails by default, passes when asked", func(t *testing.T) {
		p := promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "tempest_no_such_metric", Expect: cmpOf(experiment.OpEq, "0")})
		if obs := observe(t, p, 5*time.Second); obs.Passed || obs.Detail != "query returned no data (onEmpty: fail)" {
			t.Fatalf("empty must fail by default: %+v", obs)
		}
		p.Prometheus.OnEmpty = experiment.EmptyPass
		if obs := observe(t, p, 5*time.Second); !obs.Passed || obs.Value != "empty" {
			t.Fatalf("onEmpty pass: %+v", obs)
		}
	})

	t.Run("several series fail with a hint", func(t *testing.T) {
		p := promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "tempest_queue_depth", Expect: cmpOf(experiment.OpLt, "10")})
		obs := observe(t, p, 5*time.Second)
		if obs.Passed || !strings.Contains(obs.Detail, "query returned 2 series") || !strings.Contains(obs.Detail, `queue="orders"`) {
			t.Fatalf("want a failed observation naming the series, got %+v", obs)
		}
	})

	t.Run("range reductions", func(t *testing.T) {
		// time() over the last 10s: min is about now-10, max and last about now.
		now := float64(time.Now().Unix())
		for _, tc := range []struct {
			reduce     experiment.Reduction
			low, high  float64
			wantWindow bool
		}{
			{experiment.ReduceMin, now - 12, now - 8, true},
			{experiment.ReduceMax, now - 2, now + 2, true},
			{experiment.ReduceLast, now - 2, now + 2, true},
			{experiment.ReduceAvg, now - 7, now - 3, true},
		} {
			p := promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "time()",
				Range:  &experiment.PromRange{Window: experiment.Duration(10 * time.Second), Step: experiment.Duration(time.Second), Reduce: tc.reduce},
				Expect: cmpOf(experiment.OpBetween, "", strconv.FormatFloat(tc.low, 'f', 0, 64), strconv.FormatFloat(tc.high, 'f', 0, 64))})
			if obs := observe(t, p, 5*time.Second); !obs.Passed {
				t.Fatalf("%s: %+v", tc.reduce, obs)
			}
		}
		p := promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "tempest_orders_undelivered",
			Range:  &experiment.PromRange{Window: experiment.Duration(30 * time.Second), Reduce: experiment.ReduceMax},
			Expect: cmpOf(experiment.OpEq, "0")})
		if obs := observe(t, p, 5*time.Second); obs.Passed || obs.Detail != "expected == 0, got 3" {
			t.Fatalf("max over the window must see the breach of 3: %+v", obs)
		}
	})

	t.Run("malformed query is InvalidSpec", func(t *testing.T) {
		_, err := promprobe.New(secret.Resolver{}).Observe(t.Context(), promProbe(experiment.PrometheusProbe{URL: prom.URL, Query: "sum(", Expect: cmpOf(experiment.OpEq, "0")}))
		if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec || !strings.Contains(err.Error(), "prometheus.query") {
			t.Fatalf("want InvalidSpec, got %v", err)
		}
	})

	t.Run("secret header through an authenticating proxy", func(t *testing.T) {
		const token = "Bearer pt-93ab11-never-in-history"
		t.Setenv("TEMPEST_TEST_PROM_TOKEN", token)
		target, _ := url.Parse(prom.URL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if got := r.Header.Get("Authorization"); got != token {
				http.Error(w, "unauthorized: "+got, http.StatusUnauthorized)
				return
			}
			if r.URL.Query().Has("echo") {
				http.Error(w, `{"status":"error","errorType":"internal","error":"token `+token+` expired"}`, http.StatusInternalServerError)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(gate.Close)

		p := promProbe(experiment.PrometheusProbe{URL: gate.URL, Query: "sum(tempest_queue_depth)", Expect: cmpOf(experiment.OpEq, "3"),
			Headers: map[string]experiment.SecretRef{"Authorization": "env:TEMPEST_TEST_PROM_TOKEN"}})
		if obs := observe(t, p, 5*time.Second); !obs.Passed {
			t.Fatalf("through the proxy with the resolved token: %+v", obs)
		}
		obs := observe(t, promProbe(experiment.PrometheusProbe{URL: gate.URL + "/?echo=1", Query: "up", Expect: cmpOf(experiment.OpEq, "1"),
			Headers: p.Prometheus.Headers}), 5*time.Second)
		if obs.Passed || strings.Contains(obs.Value+obs.Detail, "pt-93ab11") {
			t.Fatalf("want a failed observation without the token, got %+v", obs)
		}
	})
}

func TestServerDownAndHungAreFailedObservations(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	obs := observe(t, promProbe(experiment.PrometheusProbe{URL: down, Query: "up", Expect: cmpOf(experiment.OpEq, "1")}), 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, "connection refused") {
		t.Fatalf("down: want failed observation, got %+v", obs)
	}

	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(hung.Close)
	start := time.Now()
	obs = observe(t, promProbe(experiment.PrometheusProbe{URL: hung.URL, Query: "up", Expect: cmpOf(experiment.OpEq, "1")}), 300*time.Millisecond)
	if obs.Passed || !strings.Contains(obs.Detail, "timed out after") {
		t.Fatalf("hung: want timed-out failure, got %+v", obs)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("observation outlived its deadline: %v", took)
	}
}

func TestBadSpecsAreInvalidSpecErrors(t *testing.T) {
	base := experiment.PrometheusProbe{URL: "http://127.0.0.1:1", Query: "up", Expect: cmpOf(experiment.OpEq, "1")}
	with := func(f func(*experiment.PrometheusProbe)) experiment.Probe {
		m := base
		f(&m)
		return promProbe(m)
	}
	tests := []struct {
		name    string
		p       experiment.Probe
		wantErr string
	}{
		{"no block", experiment.Probe{Name: "p"}, "prometheus block missing"},
		{"bad url", with(func(m *experiment.PrometheusProbe) { m.URL = "localhost:9090" }), "prometheus.url"},
		{"no query", with(func(m *experiment.PrometheusProbe) { m.Query = " " }), "prometheus.query: required"},
		{"bad onEmpty", with(func(m *experiment.PrometheusProbe) { m.OnEmpty = "ignore" }), "prometheus.onEmpty"},
		{"bad reduce", with(func(m *experiment.PrometheusProbe) {
			m.Range = &experiment.PromRange{Window: experiment.Duration(time.Minute), Reduce: "p99"}
		}), "prometheus.range.reduce"},
		{"no window", with(func(m *experiment.PrometheusProbe) { m.Range = &experiment.PromRange{Reduce: "max"} }), "prometheus.range.window"},
		{"int type with float value", with(func(m *experiment.PrometheusProbe) {
			m.Expect = experiment.Comparison{Type: "int", Op: "<", Value: "0.5"}
		}), "prometheus.expect.value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := promprobe.New(secret.Resolver{}).Observe(t.Context(), tc.p)
			if verr := promprobe.Validate(tc.p); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Validate = %v, want the error Observe gives (%v)", verr, err)
			}
			if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want InvalidSpec containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}
