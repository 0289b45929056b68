package load

import (
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tempest-chaos/tempest/experiment"
)

// The end-to-end benchmarks (rate accuracy, CPU, throughput against wrk,
// heap over a long run) are in cmd/loadbench; these measure the per-request
// costs Tempest adds on top of vegeta and net/http.

func BenchmarkRecordResult(b *testing.B) {
	r := &runner{opts: Options{Phases: []Window{{Phase: PhaseBaseline, Start: time.Now(), End: time.Now().Add(time.Hour)}}}}
	res := &vegeta.Result{Code: 200, Latency: 1234 * time.Microsecond, Timestamp: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		res.Timestamp = res.Timestamp.Add(time.Millisecond)
		recordInto(&r.progress, r.opts.Phases, res, false)
	}
}

// The same with a timeline: settled (attributed at once) and not yet
// settled (kept in the shard until it is).
func BenchmarkRecordResultWithTimeline(b *testing.B) {
	start := time.Now()
	for _, settled := range []bool{true, false} {
		name := map[bool]string{true: "settled", false: "waiting"}[settled]
		b.Run(name, func(b *testing.B) {
			st := newSettler(nil, nil)
			tl := experiment.Timeline{First: start.Add(time.Hour)}
			if settled {
				tl.SettledUntil = start.Add(24 * time.Hour)
			}
			st.clock.Store(newPhaseClock(tl))
			eng := &engine{settler: st}
			sh := &shard{}
			res := &vegeta.Result{Code: 200, Latency: 1234 * time.Microsecond, Timestamp: start}
			var p Progress
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res.Timestamp = res.Timestamp.Add(time.Millisecond)
				eng.record(sh, res, false)
				if i++; i%100_000 == 0 { // as the run's loop drains and folds
					eng.shards = []*shard{sh}
					eng.drain(&p)
					st.waiting = st.waiting[:0]
				}
			}
		})
	}
}

func BenchmarkTemplatedTarget(b *testing.B) {
	rt, err := compileTarget(experiment.LoadTarget{
		Method: "POST", URL: "http://127.0.0.1:8080/order",
		Body: `{"order_id":"{{uuid}}","seq":{{seq}},"at":"{{now}}","kind":"{{choice "a" "b"}}"}`,
	}, "t")
	if err != nil {
		b.Fatal(err)
	}
	var sent atomic.Uint64
	next := newTargeter([]requestTemplate{rt}, 0, &sent)
	var tgt vegeta.Target
	b.ReportAllocs()
	for b.Loop() {
		next(&tgt)
	}
}

func BenchmarkProgressSnapshot(b *testing.B) {
	r := &runner{}
	start := time.Now()
	for i := range 3600 * 100 { // an hour at 100 req/s
		recordInto(&r.progress, r.opts.Phases, &vegeta.Result{Code: 200, Latency: time.Duration(i%5000) * time.Microsecond, Timestamp: start.Add(time.Duration(i) * 10 * time.Millisecond)}, false)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.progress.Clone()
	}
}
