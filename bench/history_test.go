package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// BenchmarkHistoryTenMinutes runs one 10-minute experiment (a 10-minute
// pause of a sleeping process with a 1-second Continuous probe) and reports
// its history event count as the metric "events". It takes 10 minutes:
// go test -run '^$' -bench HistoryTenMinutes -benchtime 1x ./bench
func BenchmarkHistoryTenMinutes(b *testing.B) {
	t := b
	_, c := devtest.Start(t)
	workertest.Start(t, c, "bench-history", worker.Config{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	pidfile := t.TempDir() + "/pid"
	victim := startSleeper(t, pidfile)
	defer victim()
	exp := experiment.Experiment{
		Kind:     experiment.KindExperiment,
		Metadata: experiment.Metadata{Name: "history-10m"},
		Spec: experiment.Spec{
			Faults: []experiment.Fault{{Name: "pause", Duration: experiment.Duration(10 * time.Minute),
				Process: &experiment.ProcessFault{Selector: experiment.ProcessSelector{PIDFile: pidfile}, Action: experiment.ProcessPause}}},
			Probes: []experiment.Probe{{Name: "every-second", Mode: experiment.ModeContinuous,
				Interval: experiment.Duration(time.Second), HTTP: &experiment.HTTPProbe{URL: srv.URL}}},
		},
	}
	ctx := context.Background()
	run, err := starter.Start(ctx, c, exp, starter.Options{TaskQueue: "bench-history"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := run.HistoryEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10-minute experiment: verdict %s, %d probe observations, %d history events", res.Verdict, res.Probes[0].Observations, n)
	b.ReportMetric(float64(n), "events")
	if n > 200 {
		t.Fatalf("%d events, want at most 200", n)
	}
}
