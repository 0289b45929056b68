package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// The campaign figures of the README. Run them with
//
//	go test -run '^$' -bench Campaign -benchtime 1x ./integration/
//
// (TEMPEST_CAMPAIGN_STEPS sets the no-op campaign's length, default 1000.)

// BenchmarkCampaignNoopSteps runs a campaign of no-op (probe-only) steps
// on a `tempest worker` process end to end and reports steps per second,
// history events per step (all segments) and the worker's peak RSS.
func BenchmarkCampaignNoopSteps(b *testing.B) {
	steps := 1000
	if s, err := strconv.Atoi(os.Getenv("TEMPEST_CAMPAIGN_STEPS")); err == nil && s > 0 {
		steps = s
	}
	e := newEnv(b)
	const queue = "bench-campaign-noop"
	w := workerProcess(b, e, queue)
	var doc strings.Builder
	doc.WriteString("kind: Campaign\nmetadata: {name: bench-noop}\nspec:\n  steps:\n")
	for i := range steps {
		fmt.Fprintf(&doc, "    - inline:"+noopStep, fmt.Sprintf("noop-%d", i))
	}
	camp, err := experiment.DecodeCampaign("bench.yaml", []byte(doc.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		k, err := starter.StartCampaign(context.Background(), e.c, *camp, starter.Options{TaskQueue: queue})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		st, err := k.Result(ctx)
		cancel()
		if err != nil || st.Verdict != experiment.VerdictPassed {
			b.Fatalf("%s %v", st.Verdict, err)
		}
		elapsed := time.Since(start)
		events, segments, maxSegment := 0, 0, 0
		for _, runID := range campaignRuns(b, e, k.ID) {
			n := len(fetchHistory(b, e.c, k.ID, runID).Events)
			events += n
			segments++
			maxSegment = max(maxSegment, n)
		}
		b.ReportMetric(float64(steps)/elapsed.Seconds(), "steps/s")
		b.ReportMetric(float64(events)/float64(steps), "events/step")
		b.ReportMetric(float64(maxSegment), "max-events/segment")
		b.ReportMetric(float64(segments), "segments")
		b.ReportMetric(float64(peakRSS(w.Process.Pid))/1024, "worker-peak-RSS-MiB")
	}
}

// BenchmarkCampaignApprovalToInject measures the time from an approval
// Update (the call's start) to the first inject of the experiment it let
// through (the inject's own timestamp).
func BenchmarkCampaignApprovalToInject(b *testing.B) {
	_, targetBin := binaries(b)
	e := newEnv(b)
	const queue = "bench-campaign-approval"
	workerProcess(b, e, queue)
	tg := startTarget(b, targetBin)
	camp, err := experiment.DecodeCampaign("bench.yaml", []byte(`kind: Campaign
metadata: {name: bench-approval}
spec:
  steps:
    - approval: {timeout: 10m}
      inline:`+campaignPauseStep("pause", tg, "500ms")+`
`))
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		k, err := starter.StartCampaign(ctx, e.c, *camp, starter.Options{TaskQueue: queue})
		if err != nil {
			b.Fatal(err)
		}
		for {
			st, err := k.Status(ctx)
			if err == nil && st.Pending != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		approved := time.Now()
		if _, err := k.Approve(ctx, 0, "bench"); err != nil {
			b.Fatal(err)
		}
		if _, err := k.Result(ctx); err != nil {
			b.Fatal(err)
		}
		res, err := starter.Attach(e.c, k.ID+".s1.r1", "").Result(ctx)
		cancel()
		if err != nil || len(res.Faults) == 0 || len(res.Faults[0].Held) == 0 || res.Faults[0].Held[0].At.IsZero() {
			b.Fatalf("child result %+v, %v", res.Faults, err)
		}
		total += res.Faults[0].Held[0].At.Sub(approved)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-approval-to-inject")
}

// peakRSS is a process's peak resident set (VmHWM) in KiB.
func peakRSS(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}
