package devserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/devserver"
	"github.com/tempest-chaos/tempest/devserver/devtest"
)

var (
	experimentKey = temporal.NewSearchAttributeKeyKeyword(devserver.SearchAttrExperiment)
	verdictKey    = temporal.NewSearchAttributeKeyKeyword(devserver.SearchAttrVerdict)
	targetKey     = temporal.NewSearchAttributeKeyKeywordList(devserver.SearchAttrTarget)
)

// startServer starts a server from cfg, stopped when the test ends.
func startServer(t *testing.T, cfg devserver.Config) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv, err := devserver.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return srv
}

func dial(t *testing.T, srv *devserver.Server) client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.FrontendAddress()})
	if err != nil {
		t.Fatalf("dial %s: %v", srv.FrontendAddress(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestInMemoryServerRunsWorkflowsWithSearchAttributesAndUI(t *testing.T) {
	srv := startServer(t, devserver.Config{SearchAttributes: devserver.TempestSearchAttributes()})
	if !strings.HasPrefix(srv.FrontendAddress(), "127.0.0.1:") {
		t.Errorf("FrontendAddress = %q, want 127.0.0.1:<port>", srv.FrontendAddress())
	}
	c := dial(t, srv)
	startWorker(t, c)

	runEcho(t, c, "plain")
	runEcho(t, c, "tagged",
		experimentKey.ValueSet("x"),
		verdictKey.ValueSet("passed"),
		targetKey.ValueSet([]string{"pod-a", "pod-b"}))

	waitListed(t, c, `TempestExperiment = "x"`, "tagged")
	waitListed(t, c, `TempestTarget = "pod-b" AND TempestVerdict = "passed"`, "tagged")
	waitListed(t, c, `TempestExperiment = "nope"`)

	ui := srv.UIAddress()
	if !strings.HasPrefix(ui, "http://127.0.0.1:") {
		t.Fatalf("UIAddress = %q, want http://127.0.0.1:<port>", ui)
	}
	if body := httpGet(t, ui+"/", "text/html"); !strings.Contains(strings.ToLower(body), "<html") {
		t.Errorf("UI root is not an HTML page: %.200s", body)
	}
	var listed struct {
		Executions []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
		} `json:"executions"`
	}
	body := httpGet(t, ui+"/api/v1/namespaces/default/workflows?query="+url.QueryEscape(`TempestExperiment="x"`), "application/json")
	if err := json.Unmarshal([]byte(body), &listed); err != nil {
		t.Fatalf("UI workflow list is not JSON: %v: %.300s", err, body)
	}
	if len(listed.Executions) != 1 || listed.Executions[0].Execution.WorkflowID != "tagged" {
		t.Errorf("UI lists %+v, want the workflow \"tagged\"", listed.Executions)
	}
	// The API calls the UI's first page makes, and the deep link tempest
	// prints for a run's history.
	if body := httpGet(t, ui+"/api/v1/namespaces", "application/json"); !strings.Contains(body, `"default"`) {
		t.Errorf("UI namespace list lacks \"default\": %.300s", body)
	}
	httpGet(t, ui+"/api/v1/cluster-info", "application/json")
	httpGet(t, ui+"/api/v1/namespaces/default/workflows/tagged/history", "application/json")
	httpGet(t, ui+"/namespaces/default/workflows/tagged/any-run/history", "text/html")
}

func TestFileDatabaseKeepsHistoryAcrossRestarts(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "temporal.db")
	first := map[string]enums.IndexedValueType{devserver.SearchAttrExperiment: enums.INDEXED_VALUE_TYPE_KEYWORD}
	cfg := devserver.Config{DBPath: dbPath, UIPort: devserver.UIDisabled, SearchAttributes: first}

	srv := startServer(t, cfg)
	c := dial(t, srv)
	stopWorker := startWorker(t, c)
	runEcho(t, c, "before-restart", experimentKey.ValueSet("durable"))
	waitListed(t, c, `TempestExperiment = "durable"`, "before-restart")
	before := historyOf(t, c, "before-restart")
	stopWorker()
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// Same file, same registrations plus new ones: must start, keep the
	// history and make the new attributes usable.
	cfg.SearchAttributes = devserver.TempestSearchAttributes()
	srv = startServer(t, cfg)
	c = dial(t, srv)
	after := historyOf(t, c, "before-restart")
	if !slices.Equal(before, after) || len(after) == 0 {
		t.Fatalf("history after restart = %v, want %v", after, before)
	}
	if last := after[len(after)-1]; last != enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
		t.Errorf("last event after restart = %v, want completed", last)
	}
	waitListed(t, c, `TempestExperiment = "durable"`, "before-restart")
	stopWorker = startWorker(t, c)
	runEcho(t, c, "after-restart", experimentKey.ValueSet("durable"), targetKey.ValueSet([]string{"t1"}))
	waitListed(t, c, `TempestTarget = "t1"`, "after-restart")
	waitListed(t, c, `TempestExperiment = "durable"`, "after-restart", "before-restart")
	stopWorker()
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// A registered attribute with another type is refused, not ignored.
	cfg.SearchAttributes = map[string]enums.IndexedValueType{devserver.SearchAttrExperiment: enums.INDEXED_VALUE_TYPE_INT}
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	conflicting, err := devserver.Start(ctx, cfg)
	if err == nil {
		_ = conflicting.Stop()
		t.Fatal("start with a conflicting search attribute type succeeded, want an error")
	}
	if !strings.Contains(err.Error(), devserver.SearchAttrExperiment) {
		t.Errorf("error %q does not name the attribute", err)
	}
}

func TestStartFailsCleanlyWhenPortsAreTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	port := taken.Addr().(*net.TCPAddr).Port

	for name, cfg := range map[string]devserver.Config{
		"frontend": {FrontendPort: port, UIPort: devserver.UIDisabled},
		"ui":       {UIPort: port},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			srv, err := devserver.Start(ctx, cfg)
			if err == nil {
				_ = srv.Stop()
				t.Fatalf("start with %s port %d taken succeeded", name, port)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(port)) {
				t.Errorf("error %q does not name port %d", err, port)
			}
		})
	}
}

func TestInvalidConfigIsRejected(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     devserver.Config
		wantErr string
	}{
		{"bad ip", devserver.Config{IP: "localhost"}, "config.IP"},
		{"frontend port", devserver.Config{FrontendPort: 70000}, "config.FrontendPort"},
		{"ui port", devserver.Config{UIPort: -2}, "config.UIPort"},
		{"retention", devserver.Config{Retention: -time.Hour}, "config.Retention"},
		{"empty namespace", devserver.Config{Namespaces: []string{"a", ""}}, "config.Namespaces[1]"},
		{"untyped attribute", devserver.Config{SearchAttributes: map[string]enums.IndexedValueType{"A": enums.INDEXED_VALUE_TYPE_UNSPECIFIED}}, `config.SearchAttributes["A"]`},
		{"missing db dir", devserver.Config{DBPath: filepath.Join(t.TempDir(), "no", "such", "x.db")}, "database directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			srv, err := devserver.Start(ctx, tc.cfg)
			if err == nil {
				_ = srv.Stop()
				t.Fatal("Start succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestDevtestStartGivesAReadyClient(t *testing.T) {
	srv, c := devtest.Start(t)
	if srv.UIAddress() != "" {
		t.Errorf("devtest server has a UI at %q, want none", srv.UIAddress())
	}
	startWorker(t, c)
	runEcho(t, c, "via-devtest", experimentKey.ValueSet("devtest"))
	waitListed(t, c, `TempestExperiment = "devtest"`, "via-devtest")
}

// TestStartupFootprint measures time to ready, memory and time to stop of
// an in-memory server with the UI, and fails only on gross regressions.
func TestStartupFootprint(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rssBefore := residentMiB(t)
	began := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Config{SearchAttributes: devserver.TempestSearchAttributes()})
	if err != nil {
		t.Fatal(err)
	}
	ready := time.Since(began)
	runtime.GC()
	runtime.ReadMemStats(&after)
	rssAfter := residentMiB(t)
	goroutines := runtime.NumGoroutine()
	began = time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Since(began)
	t.Logf("in-memory server with UI: ready in %v, stopped in %v; Go heap in use +%.1f MiB; RSS %.1f -> %.1f MiB; %d goroutines while running",
		ready.Round(time.Millisecond), stopped.Round(time.Millisecond),
		float64(after.HeapInuse-before.HeapInuse)/(1<<20), rssBefore, rssAfter, goroutines)
	if ready > 10*time.Second {
		t.Errorf("server took %v to become ready, want well under 10s", ready)
	}
	if stopped > 20*time.Second {
		t.Errorf("server took %v to stop, want well under 20s", stopped)
	}
}

// residentMiB reads this process's resident set size from /proc.
func residentMiB(t *testing.T) float64 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("read /proc/self/status: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("parse VmRSS %q: %v", rest, err)
			}
			return float64(kib) / 1024
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func httpGet(t *testing.T, target, wantContentType string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %.300s", target, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantContentType) {
		t.Errorf("GET %s: Content-Type %q, want %s", target, ct, wantContentType)
	}
	return string(body)
}

// Other packages' tests may run devtest servers in parallel: two servers in
// one process must not share state.
func TestParallelServersAreIndependent(t *testing.T) {
	for _, name := range []string{"left", "right"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, c := devtest.Start(t)
			startWorker(t, c)
			runEcho(t, c, "only-"+name, experimentKey.ValueSet("parallel"))
			waitListed(t, c, `TempestExperiment = "parallel"`, "only-"+name)
		})
	}
}
