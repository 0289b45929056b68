package load

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// k6 cannot be installed here: these tests read summary files recorded in
// k6's --summary-export format, and drive testdata/fake-k6, a real process
// that behaves like k6 on the command line.

func readSummary(t *testing.T, name string, spec map[string][]string) experiment.LoadReport {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ReadK6Summary(f, spec)
	if err != nil {
		t.Fatalf("ReadK6Summary(%s): %v", name, err)
	}
	return rep
}

func TestK6SummaryPassing(t *testing.T) {
	rep := readSummary(t, "k6-summary-pass.json", map[string][]string{"http_req_duration": {"p(99)<100ms", "p(99.9)<1s"}})
	if rep.Requests != 6000 || rep.Successes != 6000 || len(rep.Phases) != 1 {
		t.Fatalf("report %+v", rep)
	}
	p := rep.Phases[0]
	if p.Phase != PhaseK6 || p.P50 != 10.87 || p.P95 != 24.1 || p.P99 != 61.8 || p.Max != 187.33 || p.Rate != 99.99 || p.SuccessRatio != 1 {
		t.Fatalf("phase %+v", p)
	}
	want := []struct {
		metric, expr string
		passed       bool
	}{
		{"http_req_duration", "p(95)<500", true},
		{"http_req_duration", "p(99)<1000", true},
		{"http_req_failed", "rate<0.01", true},
		{"http_reqs", "rate>95", true},
		{"http_req_duration", "p(99)<100ms", true}, // the spec's own, judged on the summary
		{"http_req_duration", "p(99.9)<1s", false}, // not in the summary: cannot pass
	}
	if len(rep.Thresholds) != len(want) {
		t.Fatalf("thresholds %+v", rep.Thresholds)
	}
	for i, w := range want {
		got := rep.Thresholds[i]
		if got.Metric != w.metric || got.Expression != w.expr || got.Passed != w.passed || got.Value == "" {
			t.Errorf("threshold %d: got %+v, want %+v", i, got, w)
		}
	}
	if v := rep.Thresholds[2].Value; v != "rate=0" {
		t.Errorf("http_req_failed value %q", v)
	}
}

func TestK6SummaryFailingThresholdsAreFailed(t *testing.T) {
	rep := readSummary(t, "k6-summary-fail.json", nil)
	if rep.Requests != 6000 || rep.Successes != 4790 {
		t.Fatalf("requests %d successes %d", rep.Requests, rep.Successes)
	}
	for _, th := range rep.Thresholds {
		if th.Passed {
			t.Errorf("%s %s passed; k6 marked it failed (true)", th.Metric, th.Expression)
		}
	}
	if v := rep.Thresholds[0].Value; v != "p(95)=2210.9" {
		t.Errorf("measured value %q", v)
	}
}

func TestK6SummaryRejectsGarbage(t *testing.T) {
	if _, err := ReadK6Summary(strings.NewReader(`{"state":{}}`), nil); err == nil {
		t.Fatal("a summary without metrics was accepted")
	}
	if _, err := ReadK6Summary(strings.NewReader(`not json`), nil); err == nil {
		t.Fatal("garbage was accepted")
	}
}

func fakeK6(t *testing.T, summary, exit string, seconds int) experiment.Load {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("testdata", "fake-k6"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := filepath.Abs(filepath.Join("testdata", summary))
	t.Setenv("FAKE_K6_SUMMARY", sum)
	t.Setenv("FAKE_K6_EXIT", exit)
	t.Setenv("FAKE_K6_SECONDS", strconv.Itoa(seconds))
	return experiment.Load{K6: &experiment.K6Load{Binary: bin, Script: "script.js", Args: []string{"--quiet"}}}
}

func TestRunK6ProcessStreamsProgressAndReadsSummary(t *testing.T) {
	spec := fakeK6(t, "k6-summary-fail.json", "99", 3)
	var mu sync.Mutex
	var lines []string
	rep, err := Run(t.Context(), spec, Options{OnProgress: func(p Progress) {
		mu.Lock()
		lines = append(lines, p.K6)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatalf("exit 99 (thresholds failed) is a result, not an error: %v", err)
	}
	if rep.Requests != 6000 || len(rep.Thresholds) != 2 || rep.Thresholds[0].Passed {
		t.Fatalf("report %+v", rep)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "running (0m00.0s), 10/10 VUs") {
		t.Fatalf("progress lines %q", lines)
	}
}

func TestRunK6StopsOnCancel(t *testing.T) {
	spec := fakeK6(t, "k6-summary-pass.json", "0", 9)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(time.Second, cancel)
	began := time.Now()
	rep, err := Run(ctx, spec, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want cancellation, got %v", err)
	}
	if took := time.Since(began); took > 2500*time.Millisecond {
		t.Fatalf("k6 took %s to stop after cancel at 1s", took)
	}
	if rep.Requests != 6000 {
		t.Fatalf("the summary k6 writes on SIGINT should still be read: %+v", rep)
	}
}

func TestRunK6WithoutBinaryIsInvalidSpec(t *testing.T) {
	_, err := Run(t.Context(), experiment.Load{K6: &experiment.K6Load{Binary: "/nonexistent/k6", Script: "x.js"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "spec.load.k6.binary") {
		t.Fatalf("got %v", err)
	}
}
