package httpprobe_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe/httpprobe"
	"github.com/tempest-chaos/tempest/secret"
)

// deliveryApp is the seed's delivery app /result endpoint: the number of
// undelivered orders, settable by the test.
func deliveryApp(t *testing.T, undelivered *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/result":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"undelivered": %d, "orders": [{"id": "a"}]}`, undelivered.Load())
		case "/down":
			http.Error(w, "broker unavailable", http.StatusServiceUnavailable)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func httpProbe(h experiment.HTTPProbe) experiment.Probe {
	return experiment.Probe{Name: "p", Mode: experiment.ModeEOT, HTTP: &h}
}

func observe(t *testing.T, p experiment.Probe, timeout time.Duration) experiment.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	obs, err := httpprobe.New(secret.Resolver{}).Observe(ctx, p)
	if err != nil {
		t.Fatalf("Observe: unexpected error %v", err)
	}
	return obs
}

func zeroUndelivered() *experiment.Comparison {
	return &experiment.Comparison{Op: experiment.OpEq, Value: "0"}
}

func TestJSONPathPassAndFail(t *testing.T) {
	var undelivered atomic.Int64
	srv := deliveryApp(t, &undelivered)
	p := httpProbe(experiment.HTTPProbe{URL: srv.URL + "/result", JSONPath: "$.undelivered", Expect: zeroUndelivered(), BodyContains: "orders"})

	obs := observe(t, p, 5*time.Second)
	if !obs.Passed {
		t.Fatalf("want pass with 0 undelivered, got %+v", obs)
	}
	if obs.Value != "status 200, $.undelivered = \"0\"" || obs.At.IsZero() || obs.Took <= 0 {
		t.Fatalf("observation fields: %+v", obs)
	}

	undelivered.Store(7)
	obs = observe(t, p, 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, "expected == 0, got 7") {
		t.Fatalf("want fail showing expected vs actual, got %+v", obs)
	}
}

func TestEveryFailedCheckIsReported(t *testing.T) {
	var undelivered atomic.Int64
	srv := deliveryApp(t, &undelivered)
	obs := observe(t, httpProbe(experiment.HTTPProbe{
		URL: srv.URL + "/down", BodyContains: "ready", BodyMatches: `^ok$`,
	}), 5*time.Second)
	if obs.Passed {
		t.Fatalf("503 passed: %+v", obs)
	}
	for _, want := range []string{"status 503, want [200]", `body does not contain "ready"`, "body does not match /^ok$/"} {
		if !strings.Contains(obs.Detail, want) {
			t.Errorf("detail %q lacks %q", obs.Detail, want)
		}
	}
	obs = observe(t, httpProbe(experiment.HTTPProbe{URL: srv.URL + "/down", ExpectStatus: []int{503}}), 5*time.Second)
	if !obs.Passed {
		t.Fatalf("expectStatus [503] should accept 503: %+v", obs)
	}
}

func TestTimeoutIsAFailedObservation(t *testing.T) {
	var undelivered atomic.Int64
	srv := deliveryApp(t, &undelivered)
	start := time.Now()
	obs := observe(t, httpProbe(experiment.HTTPProbe{URL: srv.URL + "/slow"}), 300*time.Millisecond)
	if obs.Passed || !strings.Contains(obs.Detail, "timed out after") {
		t.Fatalf("timeout must fail with a reason, got %+v", obs)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("observation outlived its deadline: %v", took)
	}
}

func TestMaxLatency(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	obs := observe(t, httpProbe(experiment.HTTPProbe{URL: srv.URL, MaxLatency: experiment.Duration(50 * time.Millisecond)}), 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, "above maxLatency 50ms") {
		t.Fatalf("slow response passed maxLatency: %+v", obs)
	}
}

func TestServerDownIsAFailedObservation(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	obs := observe(t, httpProbe(experiment.HTTPProbe{URL: url}), 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, "connection refused") {
		t.Fatalf("want failed observation (connection refused), got %+v", obs)
	}
}

func TestSecretHeaderResolvedOnWorkerAndNeverShown(t *testing.T) {
	const token = "tk-7f3e9c1d-never-in-history"
	t.Setenv("TEMPEST_TEST_PROBE_TOKEN", token)
	received := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		received <- got
		// A careless server echoing credentials in an error.
		http.Error(w, `{"error":"denied","auth":"`+got+`"}`, http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)

	p := httpProbe(experiment.HTTPProbe{
		URL:      srv.URL,
		Headers:  map[string]experiment.SecretRef{"Authorization": "env:TEMPEST_TEST_PROBE_TOKEN"},
		JSONPath: "auth", Expect: &experiment.Comparison{Op: experiment.OpEq, Value: "x"},
		BodyContains: "welcome",
	})
	obs := observe(t, p, 5*time.Second)
	if got := <-received; got != token {
		t.Fatalf("server got Authorization %q, want the resolved secret", got)
	}
	if obs.Passed {
		t.Fatalf("403 passed: %+v", obs)
	}
	if strings.Contains(obs.Value+obs.Detail, token) {
		t.Fatalf("secret leaked into observation: %+v", obs)
	}
	if !strings.Contains(obs.Detail, "[redacted]") {
		t.Fatalf("want the echoed secret redacted in detail, got %q", obs.Detail)
	}

	p.HTTP.Headers["Authorization"] = "env:TEMPEST_TEST_PROBE_TOKEN_UNSET"
	_, err := httpprobe.New(secret.Resolver{}).Observe(t.Context(), p)
	if typ, _ := errkind.TypeOf(err); typ != errkind.SecretUnavailable {
		t.Fatalf("unset secret: want SecretUnavailable, got %v", err)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	obs := observe(t, httpProbe(experiment.HTTPProbe{URL: srv.URL}), 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, "certificate") {
		t.Fatalf("self-signed certificate accepted without insecureSkipVerify: %+v", obs)
	}
	obs = observe(t, httpProbe(experiment.HTTPProbe{URL: srv.URL, InsecureSkipVerify: true}), 5*time.Second)
	if !obs.Passed {
		t.Fatalf("insecureSkipVerify: %+v", obs)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	obs, err := httpprobe.NewWithClient(secret.Resolver{}, srv.Client()).Observe(ctx, httpProbe(experiment.HTTPProbe{URL: srv.URL}))
	if err != nil || !obs.Passed {
		t.Fatalf("given client trusting the server: %+v, %v", obs, err)
	}
}

func TestBadSpecsAreInvalidSpecErrors(t *testing.T) {
	tests := []struct {
		name    string
		p       experiment.Probe
		wantErr string
	}{
		{"no block", experiment.Probe{Name: "p"}, "http block missing"},
		{"relative url", httpProbe(experiment.HTTPProbe{URL: "/result"}), "http.url"},
		{"bad regex", httpProbe(experiment.HTTPProbe{URL: "http://127.0.0.1:1", BodyMatches: "("}), "http.bodyMatches"},
		{"jsonPath without expect", httpProbe(experiment.HTTPProbe{URL: "http://127.0.0.1:1", JSONPath: "a"}), "needs http.expect"},
		{"bad comparison", httpProbe(experiment.HTTPProbe{URL: "http://127.0.0.1:1", Expect: &experiment.Comparison{Op: "~"}}), "http.expect.op"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpprobe.New(secret.Resolver{}).Observe(t.Context(), tc.p)
			if verr := httpprobe.Validate(tc.p); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Validate = %v, want the error Observe gives (%v)", verr, err)
			}
			if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want InvalidSpec containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}
