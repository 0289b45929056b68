package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	junit "github.com/joshdk/go-junit"

	"github.com/tempest-chaos/tempest/report"
)

// TestReportOfARealRun runs an experiment with load and a repeating fault
// (three pauses of the target), then writes its report in every format
// with the tempest binary, from the server alone (the worker is not
// asked): the timeline has every injection from the fault workflow's
// history with its real times and summaries, the JUnit is read by a CI
// parser, the Markdown has the verdict, and the HTML, opened offline in
// Chromium, marks each injection on every chart where it took effect.
func TestReportOfARealRun(t *testing.T) {
	tempest, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-report")
	tg := startTarget(t, targetBin)
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: report-run}
spec:
  hypothesis: the target serves again after each pause
  faults:
    - name: pause-target
      startAfter: 2s
      duration: 6s
      interval: 2s
      hold: 1s
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 6
      http: {url: "http://%s/healthz"}
  load:
    rate: 50/s
    duration: 10s
    timeout: 300ms
    targets:
      - url: http://%s/
    thresholds:
      "http_req_failed{phase:chaos}": ["rate<0.9"]
      "http_req_failed{phase:baseline}": ["rate<0.01"]
      http_reqs: ["count>100"]
`, tg.port, tg.addr, tg.addr)
	run, res := e.runToEnd(t, decode(t, spec), "it-report", 3*time.Minute)
	if len(res.Faults) != 1 || res.Faults[0].Injections != 3 || res.Load == nil {
		t.Fatalf("result %+v: want 3 injections and a load report", res)
	}

	dir := t.TempDir()
	write := func(name string, extra ...string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		args := append([]string{"report", "--address", e.srv.FrontendAddress(), "--ui-url", "http://ui.example:8233", run.ID, "-o", path}, extra...)
		out, err := exec.Command(tempest, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tempest %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return path
	}

	// JSON: the timeline, from the fault workflow's history.
	var got report.Run
	data, err := os.ReadFile(write("report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.WorkflowID != run.ID || got.RunID != run.RunID || got.Result.Verdict != res.Verdict || got.Hypothesis == "" {
		t.Errorf("report of %s/%s (%s, %q), want %s/%s (%s)", got.WorkflowID, got.RunID, got.Result.Verdict, got.Hypothesis, run.ID, run.RunID, res.Verdict)
	}
	if !strings.HasPrefix(got.UILink, "http://ui.example:8233/namespaces/default/workflows/"+run.ID+"/"+run.RunID) {
		t.Errorf("UI link %q", got.UILink)
	}
	ins := got.Timeline.Injections
	if len(ins) != 3 {
		t.Fatalf("timeline %+v, want 3 injections", ins)
	}
	for i, in := range ins {
		held := res.Faults[0].Held[i]
		if in.N != i+1 || !in.At.Equal(held.At) || !in.RevertedAt.Equal(held.RevertedAt) {
			t.Errorf("injection %d: %+v, result has %+v", i+1, in, held)
		}
		if want := fmt.Sprintf("inject pause-target #%d into %s", i+1, in.Target); in.Summary != want {
			t.Errorf("injection %d: summary %q, want %q", i+1, in.Summary, want)
		}
		if in.Scheduled.IsZero() || in.Scheduled.After(in.At) || in.RevertStarted.IsZero() || in.RevertStarted.After(in.RevertedAt) {
			t.Errorf("injection %d: scheduled %v, took effect %v, revert scheduled %v, done %v", i+1, in.Scheduled, in.At, in.RevertStarted, in.RevertedAt)
		}
	}
	if len(got.Timeline.Probes) == 0 {
		t.Error("no probe in the timeline")
	}

	// JUnit, read by a CI parser.
	suites, err := junit.IngestFile(write("report.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(suites) != 1 || len(suites[0].Tests) != 1+len(res.Probes)+len(res.Load.Thresholds)+len(res.Faults) {
		t.Fatalf("junit suites %+v", suites)
	}
	for _, tc := range suites[0].Tests {
		if strings.HasPrefix(tc.Name, "threshold ") && tc.Status == junit.StatusFailed && !strings.Contains(tc.Message, "measured") {
			t.Errorf("threshold failure %q without the measured value", tc.Message)
		}
	}

	// Markdown.
	md, err := os.ReadFile(write("report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), fmt.Sprintf("`report-run`: %s", res.Verdict)) {
		t.Errorf("markdown without the verdict:\n%s", md)
	}
	for _, in := range ins {
		if row := fmt.Sprintf("| pause-target | %d | `%s` |", in.N, in.Target); !strings.Contains(string(md), row) {
			t.Errorf("markdown without the row %q:\n%s", row, md)
		}
	}

	// HTML, offline in Chromium.
	page := write("report.html")
	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := b.call(ctx, "Network.emulateNetworkConditions", map[string]any{"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.navigate(ctx, "file://"+page); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Verdict string
		X0, X1  float64
		Charts  []struct {
			ID      string
			Left    float64
			Width   float64
			Markers []struct{ At, X float64 }
		}
	}
	const read = `(() => ({
  Verdict: document.getElementById("verdict").textContent,
  X0: TEMPEST.x[0], X1: TEMPEST.phases[TEMPEST.phases.length - 1].to,
  Charts: [...document.querySelectorAll(".chart")].map(el => {
    const over = el.querySelector(".u-over").getBoundingClientRect();
    return {ID: el.id, Left: over.left, Width: over.width,
      Markers: [...el.querySelectorAll(".marker.inject")].map(m => ({At: +m.dataset.at, X: m.getBoundingClientRect().left}))};
  }),
}))()`
	for {
		var ready bool
		if err := b.eval(ctx, "!!window.tempestReady", &ready); err == nil && ready {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the report's charts were not drawn")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := b.eval(ctx, read, &st); err != nil {
		t.Fatal(err)
	}
	if st.Verdict != string(res.Verdict) {
		t.Errorf("verdict %q, want %s", st.Verdict, res.Verdict)
	}
	if len(st.Charts) != 3 {
		t.Fatalf("%d charts, want 3", len(st.Charts))
	}
	for _, ch := range st.Charts {
		if len(ch.Markers) != len(ins) {
			t.Errorf("%s: %d injection markers, want %d", ch.ID, len(ch.Markers), len(ins))
			continue
		}
		for i, m := range ch.Markers {
			at := float64(ins[i].At.UnixMilli()) / 1000
			if math.Abs(m.At-at) > 0.001 {
				t.Errorf("%s: marker %d at %.3f, injection took effect at %.3f", ch.ID, i+1, m.At, at)
			}
			if x := ch.Left + (at-st.X0)/(st.X1-st.X0)*ch.Width; math.Abs(m.X-x) > 1 {
				t.Errorf("%s: marker %d at x=%.1f px, want %.1f", ch.ID, i+1, m.X, x)
			}
		}
	}
}

// TestRunWritesReport: `tempest run --report FILE.md` writes the report
// of the run it waited for.
func TestRunWritesReport(t *testing.T) {
	tempest, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-run-report")
	tg := startTarget(t, targetBin)
	spec := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(spec, []byte(fmt.Sprintf(`kind: Experiment
metadata: {name: run-report}
spec:
  faults:
    - name: pause-target
      duration: 1s
      process: {selector: {port: %d}, action: pause}
`, tg.port)), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.md")
	cmd := exec.Command(tempest, "run", "--address", e.srv.FrontendAddress(), "--task-queue", "it-run-report", "--report", path, spec)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tempest run: %v\n%s", err, out)
	}
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; output:\n%s", err, out)
	}
	if !strings.Contains(string(md), "`run-report`: Passed") || !strings.Contains(string(md), "| pause-target | 1 | `pid/") {
		t.Errorf("report:\n%s", md)
	}
	if !strings.Contains(string(out), "Report: "+path) {
		t.Errorf("run did not say where the report is:\n%s", out)
	}
}
