package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
)

type config struct {
	rates          string
	rateDuration   time.Duration
	maxDuration    time.Duration
	connections    int
	rounds         int
	wrk            string
	memoryDuration time.Duration
}

func run(ctx context.Context, cfg config) error {
	url, stop, err := startTarget(ctx)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("target %s, GOMAXPROCS %d, %d CPUs\n\n", url, runtime.GOMAXPROCS(0), runtime.NumCPU())

	fmt.Println("| rate | duration | sent | expected | error | achieved rate | p50 | p99 | generator CPU |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range strings.Split(cfg.rates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil {
			return fmt.Errorf("rate %q: %w", r, err)
		}
		spec := experiment.Load{Rate: fmt.Sprintf("%d/s", rate), Duration: experiment.Duration(cfg.rateDuration), Targets: []experiment.LoadTarget{{URL: url}}}
		cpu0, wall0 := cpuTime(), time.Now()
		rep, err := load.Run(ctx, spec, load.Options{})
		if err != nil {
			return fmt.Errorf("rate %d: %w", rate, err)
		}
		cpu, wall := cpuTime()-cpu0, time.Since(wall0)
		want := float64(rate) * cfg.rateDuration.Seconds()
		p := rep.Phases[0]
		fmt.Printf("| %d/s | %s | %d | %.0f | %+.2f%% | %.1f/s | %.2fms | %.2fms | %.1f%% of one core |\n",
			rate, cfg.rateDuration, rep.Requests, want, 100*(float64(rep.Requests)-want)/want, p.Rate, p.P50, p.P99, 100*cpu.Seconds()/wall.Seconds())
	}

	if cfg.maxDuration > 0 {
		if err := maxThroughput(ctx, cfg, url); err != nil {
			return err
		}
	}

	if cfg.memoryDuration > 0 {
		return memoryRun(ctx, cfg, url)
	}
	return nil
}

// maxThroughput alternates Tempest and wrk runs on the same target, so
// both see the same background load, and compares their best rounds.
func maxThroughput(ctx context.Context, cfg config, url string) error {
	fmt.Printf("\nMaximum throughput, %d connections, %s per run, %d alternating rounds, same target:\n\n", cfg.connections, cfg.maxDuration, cfg.rounds)
	fmt.Printf("| round | tempest req/s | tempest p50 / p99 | tempest CPU | bare net/http req/s | wrk req/s | wrk p50 / p99 | tempest / wrk |\n|---|---|---|---|---|---|---|---|\n")
	spec := experiment.Load{Rate: "10000000/s", Duration: experiment.Duration(cfg.maxDuration), MaxInFlight: cfg.connections, Targets: []experiment.LoadTarget{{URL: url}}}
	var bestOurs, bestBare, bestTheirs float64
	var ratios []float64 // Tempest over wrk, round by round
	for round := 1; round <= cfg.rounds; round++ {
		cpu0, wall0 := cpuTime(), time.Now()
		rep, err := load.Run(ctx, spec, load.Options{})
		if err != nil {
			return fmt.Errorf("max throughput: %w", err)
		}
		cpu := 100 * (cpuTime() - cpu0).Seconds() / time.Since(wall0).Seconds()
		ours := float64(rep.Requests) / cfg.maxDuration.Seconds()
		bestOurs = max(bestOurs, ours)
		bare := bareClient(ctx, url, cfg.connections, cfg.maxDuration)
		bestBare = max(bestBare, bare)
		theirs, lat, err := runWrk(ctx, cfg, url)
		if err != nil {
			fmt.Printf("| %d | %.0f | %.2fms / %.2fms | %.0f%% | %.0f | not measured: %v | |\n", round, ours, rep.Phases[0].P50, rep.Phases[0].P99, cpu, bare, err)
			continue
		}
		bestTheirs = max(bestTheirs, theirs)
		ratios = append(ratios, ours/theirs)
		fmt.Printf("| %d | %.0f | %.2fms / %.2fms | %.0f%% | %.0f | %.0f | %s | %.1f%% |\n", round, ours, rep.Phases[0].P50, rep.Phases[0].P99, cpu, bare, theirs, lat, 100*ours/theirs)
	}
	if len(ratios) > 0 {
		// Rounds next to each other share the machine's background load,
		// so the ratio within a round is the fairer comparison.
		slices.Sort(ratios)
		fmt.Printf("\nTempest / wrk within a round: median %.1f%%, worst %.1f%%, best %.1f%%.\n", 100*ratios[len(ratios)/2], 100*ratios[0], 100*ratios[len(ratios)-1])
	}
	if bestTheirs > 0 {
		fmt.Printf("\nBest rounds: Tempest %.0f req/s, bare net/http %.0f req/s, wrk %.0f req/s: Tempest reaches %.0f%% of wrk (bare net/http %.0f%%).\n",
			bestOurs, bestBare, bestTheirs, 100*bestOurs/bestTheirs, 100*bestBare/bestTheirs)
	}
	return nil
}

// bareClient is the ceiling of Go's net/http client on this machine:
// conns goroutines each sending requests back to back for d.
func bareClient(ctx context.Context, url string, conns int, d time.Duration) float64 {
	transport := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / d.Seconds()
}

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
var wrkLatency = regexp.MustCompile(`(?m)^\s+50%\s+(\S+)\s*$[\s\S]*?^\s+99%\s+(\S+)\s*$`)

// runWrk runs wrk on url and returns its requests per second.
func runWrk(ctx context.Context, cfg config, url string) (float64, string, error) {
	secs := max(int(cfg.maxDuration.Seconds()), 1)
	out, err := exec.CommandContext(ctx, cfg.wrk, "-t2", fmt.Sprintf("-c%d", cfg.connections), fmt.Sprintf("-d%ds", secs), "--latency", url).CombinedOutput()
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w: %s", cfg.wrk, err, out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("no Requests/sec in wrk output: %s", out)
	}
	rate, _ := strconv.ParseFloat(string(m[1]), 64)
	lat := "-"
	if l := wrkLatency.FindSubmatch(out); l != nil {
		lat = string(l[1]) + " / " + string(l[2])
	}
	return rate, lat, nil
}

// memoryRun runs 1,000 req/s and samples the heap every tenth of the run.
func memoryRun(ctx context.Context, cfg config, url string) error {
	fmt.Printf("\nHeap during %s at 1,000 req/s (after GC):\n\n| elapsed | requests | heap in use | heap objects | goroutines |\n|---|---|---|---|---|\n", cfg.memoryDuration)
	spec := experiment.Load{Rate: "1000/s", Duration: experiment.Duration(cfg.memoryDuration), Targets: []experiment.LoadTarget{{URL: url}}}
	every := cfg.memoryDuration / 10
	var samples []uint64
	var last load.Progress
	began := time.Now()
	next := time.Duration(0)
	_, err := load.Run(ctx, spec, load.Options{ProgressEvery: time.Second, OnProgress: func(p load.Progress) {
		last = p
		if time.Since(began) < next {
			return
		}
		next += every
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		samples = append(samples, m.HeapInuse)
		fmt.Printf("| %s | %d | %.1f MiB | %d | %d |\n", time.Since(began).Round(time.Second), p.Total().Requests, float64(m.HeapInuse)/(1<<20), m.HeapObjects, runtime.NumGoroutine())
	}})
	if err != nil {
		return fmt.Errorf("memory run: %w", err)
	}
	if n := len(samples); n >= 4 {
		// Growth over the second half, once the worker pool has grown to
		// what the latency needs.
		mid, end := float64(samples[n/2]), float64(samples[n-1])
		span := every * time.Duration(n-1-n/2)
		fmt.Printf("\nHeap over the second half: %+.2f MiB in %s (extrapolated %+.1f MiB per hour).\n", (end-mid)/(1<<20), span, (end-mid)/span.Hours()/(1<<20))
	}
	raw, err := json.Marshal(last)
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	fmt.Printf("Progress (heartbeat details) at the end: %d bytes of JSON, %d series points.\n", len(raw), len(last.Series.Points))
	return nil
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
