package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// Where the dashboard and the rules are, from this package.
const (
	dashboardFile    = "../deploy/grafana/tempest-dashboard.json"
	rulesFile        = "../deploy/prometheus/rules.yml"
	scrapeConfigFile = "../deploy/prometheus/prometheus.yml"
)

// healthyEmpty are the expressions that return nothing in a healthy run
// (an alert that does not fire, an annotation of revert failures): each
// is checked through the inner selector given here instead, which must
// return data. Keyed by "alert NAME" or "annotation NAME".
var healthyEmpty = map[string]string{
	"alert TempestRevertFailed":  `sum by (job, instance, kind) (increase(tempest_fault_reverts_total{outcome="failure"}[10m]))`,
	"alert TempestFaultOverdue":  `sum by (job, instance, kind) (tempest_fault_injections_overdue)`,
	"alert TempestWorkerDown":    `up{job="tempest-worker"}`,
	"alert TempestWorkerAbsent":  `up{job="tempest-worker"}`,
	"annotation Revert failures": `sum by (kind) (increase(tempest_fault_reverts_total{outcome="failure"}[1m]))`,
}

// TestPrometheusScrapesWorker runs a real Prometheus (Debian's binary)
// scraping a `tempest worker --metrics-addr` every second while an
// experiment with a fault, a probe and load runs on it; then checks
// /metrics with `promtool check metrics`, the rules and the example
// configuration with promtool, that Prometheus evaluates every rule, and
// that every PromQL expression of the dashboard and the rules parses and
// returns data over the run (alerts that stay quiet in a healthy run
// through their inner selectors, healthyEmpty).
func TestPrometheusScrapesWorker(t *testing.T) {
	prometheusBin, promtool := tool(t, "prometheus"), tool(t, "promtool")
	tempestBin, targetBin := binaries(t)
	e := newEnv(t)

	const queue = "it-metrics"
	metricsAddr := metricsWorker(t, tempestBin, e, queue)

	prom := startPrometheus(t, prometheusBin, metricsAddr)
	// Start once Prometheus has the worker's first scrape: every query
	// below covers the run from then on.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if v, ok := prom.scalar(t, `up{job="tempest-worker"}`); ok && v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Prometheus did not scrape the worker within 30s")
		}
	}
	began := time.Now().Add(time.Second) // range queries start at whole seconds: after the first scrape

	tg := startTarget(t, targetBin)
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: metrics-demo}
spec:
  faults:
    - name: pause-target
      startAfter: 2s
      duration: 5s
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: target-up
      mode: Continuous
      interval: 500ms
      timeout: 300ms
      minSuccessPercent: 10
      http: {url: "http://%s/healthz"}
  load:
    rate: 50/s
    duration: 10s
    timeout: 300ms
    targets:
      - url: http://%s/
`, tg.port, tg.addr, tg.addr)
	_, res := e.runToEnd(t, decode(t, spec), queue, 2*time.Minute)
	t.Logf("experiment: %s, score %.1f, reasons %v", res.Verdict, res.ResilienceScore, res.Reasons)

	// The worker's watch sees the run close within its period; then a scrape.
	closed := fmt.Sprintf(`tempest_experiments_total{experiment="metrics-demo",verdict=%q}`, res.Verdict)
	deadline := time.Now().Add(45 * time.Second)
	for {
		if v, ok := prom.scalar(t, closed); ok && v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached 1 in Prometheus", closed)
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a few more scrapes and rule evaluations

	want := map[string]func(float64) bool{
		`tempest_experiment_resilience_score{experiment="metrics-demo"}`:       func(v float64) bool { return v == res.ResilienceScore },
		`tempest_fault_injections_total{kind="process",outcome="success"}`:     func(v float64) bool { return v == 1 },
		`tempest_fault_reverts_total{kind="process",outcome="success"}`:        func(v float64) bool { return v == 1 },
		`sum(tempest_faults_active)`:                                           func(v float64) bool { return v == 0 },
		`max_over_time(sum(tempest_faults_active)[5m:1s])`:                     func(v float64) bool { return v == 1 },
		`sum(tempest_probe_observations_total{probe="target-up",kind="http"})`: func(v float64) bool { return v >= 10 },
		// The verdict series exist at 0 from when the run was seen running,
		// so increase() counts its close.
		`sum(max by (experiment, verdict) (increase(tempest_experiments_total[2m])))`:      func(v float64) bool { return v > 0.5 },
		`sum(tempest_load_requests_total)`:                                                 func(v float64) bool { return v >= 350 },
		`sum(tempest_load_requests_total{phase="chaos",result="failure"})`:                 func(v float64) bool { return v > 0 },
		`sum(tempest_load_request_duration_seconds_count)`:                                 func(v float64) bool { return v >= 350 },
		`tempest_experiment_duration_seconds_count{verdict="` + string(res.Verdict) + `"}`: func(v float64) bool { return v == 1 },
		`sum(temporal_workflow_task_execution_latency_seconds_count)`:                      func(v float64) bool { return v >= 1 },
		`sum(temporal_activity_execution_latency_seconds_count)`:                           func(v float64) bool { return v >= 1 },
	}
	for q, ok := range want {
		v, found := prom.scalar(t, q)
		if !found || !ok(v) {
			t.Errorf("%s = %v (found %v)", q, v, found)
		}
	}
	if res.Load == nil || res.Load.Requests == 0 {
		t.Fatalf("no load report: %+v", res.Reasons)
	}

	// /metrics itself: Prometheus's conventions, and its size and cost.
	start := time.Now()
	body := get(t, "http://"+metricsAddr+"/metrics")
	took := time.Since(start)
	t.Logf("/metrics after one experiment: %d series, %d bytes, scraped in %v", countSeries(body, ""), len(body), took)
	run(t, strings.NewReader(body), promtool, "check", "metrics")
	run(t, nil, promtool, "check", "rules", rulesFile)
	run(t, nil, promtool, "check", "config", scrapeConfigFile)

	// Prometheus evaluated every rule of rules.yml without error.
	var rules struct {
		Data struct {
			Groups []struct {
				Rules []struct{ Name, Health, LastError string }
			}
		}
	}
	prom.api(t, "/api/v1/rules", nil, &rules)
	evaluated := 0
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			evaluated++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q, %s", r.Name, r.Health, r.LastError)
			}
		}
	}

	exprs, ruled := dashboardExprs(t), ruleExprs(t)
	if evaluated != len(ruled) {
		t.Errorf("Prometheus loaded %d rules, rules.yml has %d", evaluated, len(ruled))
	}
	for name, q := range ruled {
		exprs[name] = q
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range exprs {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		q := exprs[name]
		n, err := prom.rangeCount(t, q, began, time.Now())
		switch {
		case err != nil:
			t.Errorf("%s: %s: %v", name, q, err)
		case n > 0:
			t.Logf("%s: %d series", name, n)
		default:
			inner, ok := healthyEmpty[name]
			if !ok {
				t.Errorf("%s returned nothing over the run: %s", name, q)
				continue
			}
			if n, err := prom.rangeCount(t, inner, began, time.Now()); err != nil || n == 0 {
				t.Errorf("%s is empty as it should be in a healthy run, but its inner selector %s returned %d series (%v)", name, inner, n, err)
			} else {
				t.Logf("%s: empty (healthy); its inner selector %d series", name, n)
			}
		}
	}
	for name := range healthyEmpty {
		if _, ok := exprs[name]; !ok {
			t.Errorf("healthyEmpty names %s, which the dashboard and the rules do not have", name)
		}
	}
}

// metricsWorker starts `tempest worker --metrics-addr` on a free port
// polling queue, and returns that address once it serves /metrics.
func metricsWorker(t *testing.T, tempestBin string, e env, queue string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	w := exec.Command(tempestBin, "worker", "--address", e.srv.FrontendAddress(), "--task-queue", queue,
		"--worker-state-dir", t.TempDir(), "--metrics-addr", addr)
	w.Stdout, w.Stderr = os.Stderr, os.Stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Process.Kill(); _ = w.Wait() })
	waitHTTP(t, "http://"+addr+"/metrics", 30*time.Second)
	return addr
}

// tool finds a binary the test needs, failing loudly when it is missing.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): install Debian's prometheus package (.ci/install-deps, or go tool task deps)", name, err)
	}
	return p
}

func run(t *testing.T, stdin io.Reader, argv ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = stdin
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", strings.Join(argv[1:], " "), err, out)
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return string(b)
}

func waitHTTP(t *testing.T, u string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within %s", u, within)
}

// promServer is a Prometheus started by startPrometheus.
type promServer struct{ base string }

// startPrometheus runs Prometheus on a free port with temporary storage,
// scraping target every second as job tempest-worker and evaluating
// rules.yml every second.
func startPrometheus(t *testing.T, bin, target string) promServer {
	t.Helper()
	dir := t.TempDir()
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: tempest-worker
    static_configs: [{targets: [%q]}]
`, rules, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "--config.file", filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path", filepath.Join(dir, "data"),
		"--web.listen-address", addr, "--log.level", "warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	waitHTTP(t, "http://"+addr+"/-/ready", 30*time.Second)
	return promServer{base: "http://" + addr}
}

// api GETs path with query and decodes the answer into out, failing the
// test on a transport error.
func (p promServer) api(t *testing.T, path string, query url.Values, out any) {
	t.Helper()
	u := p.base + path
	if query != nil {
		u += "?" + query.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

// promAnswer is the envelope of Prometheus's HTTP API.
type promAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Value  []any   `json:"value"`
			Values [][]any `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// scalar evaluates q now: its single value, found false when it returns
// nothing.
func (p promServer) scalar(t *testing.T, q string) (float64, bool) {
	t.Helper()
	var a promAnswer
	p.api(t, "/api/v1/query", url.Values{"query": {q}}, &a)
	if a.Status != "success" {
		t.Fatalf("%s: %s", q, a.Error)
	}
	if len(a.Data.Result) != 1 || len(a.Data.Result[0].Value) != 2 {
		return 0, false
	}
	s, _ := a.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// rangeCount evaluates q from start to end every second, as Grafana does:
// the number of series it returned, or the error of one that does not
// parse or evaluate.
func (p promServer) rangeCount(t *testing.T, q string, start, end time.Time) (int, error) {
	t.Helper()
	var a promAnswer
	p.api(t, "/api/v1/query_range", url.Values{"query": {q},
		"start": {strconv.FormatInt(start.Unix(), 10)}, "end": {strconv.FormatInt(end.Unix()+1, 10)}, "step": {"1"}}, &a)
	if a.Status != "success" {
		return 0, fmt.Errorf("%s", a.Error)
	}
	return len(a.Data.Result), nil
}

// grafanaVars are what the dashboard's variables stand for in the test:
// the rate window for 1 s scrapes, and every experiment.
var grafanaVars = strings.NewReplacer("$__rate_interval", "10s", "$experiment", ".*")

// dashboardExprs are the PromQL expressions of the dashboard's panels and
// annotations, by "panel TITLE #REF" and "annotation NAME", with its
// variables replaced.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ RefID, Expr string }
		}
		Annotations struct {
			List []struct{ Name, Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	out := map[string]string{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out[fmt.Sprintf("panel %s #%s", p.Title, tg.RefID)] = grafanaVars.Replace(tg.Expr)
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr != "" {
			out["annotation "+a.Name] = grafanaVars.Replace(a.Expr)
		}
	}
	if len(out) < 10 {
		t.Fatalf("%s: only %d expressions", dashboardFile, len(out))
	}
	if left := regexp.MustCompile(`\$\w+`).FindAllString(strings.Join(mapValues(out), " "), -1); len(left) > 0 {
		t.Fatalf("dashboard variables the test does not know: %v", left)
	}
	return out
}

// ruleExprs are the expressions of rules.yml, by "alert NAME" or "record
// NAME".
func ruleExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	out := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			name := "alert " + r.Alert
			if r.Record != "" {
				name = "record " + r.Record
			}
			out[name] = r.Expr
		}
	}
	return out
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
