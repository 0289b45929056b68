// Command loadbench measures package load on loopback: rate accuracy and
// CPU cost at fixed rates, maximum throughput side by side with wrk, and
// heap over a long run. The target is a minimal net/http server in a
// separate process (this binary with -serve), so the generator's CPU
// figures are its own.
//
//	go run ./load/cmd/loadbench -rate-duration 10s -max-duration 10s -memory-duration 60s
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
)

func main() {
	var cfg config
	serve := flag.String("serve", "", "run only the target server on this address (internal)")
	flag.DurationVar(&cfg.rateDuration, "rate-duration", 10e9, "length of each rate-accuracy run")
	flag.StringVar(&cfg.rates, "rates", "100,1000,5000", "rates to check, requests per second")
	flag.DurationVar(&cfg.maxDuration, "max-duration", 10e9, "length of each maximum-throughput run (Tempest, then wrk)")
	flag.IntVar(&cfg.connections, "connections", 50, "concurrent connections for maximum throughput (Tempest MaxInFlight, wrk -c)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "alternating Tempest/wrk rounds for maximum throughput")
	flag.StringVar(&cfg.wrk, "wrk", "wrk", "wrk binary")
	flag.DurationVar(&cfg.memoryDuration, "memory-duration", 60e9, "length of the 1,000 req/s heap run (0 skips it)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run here")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *serve != "" {
		if err := serveTarget(*serve); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// serveTarget answers every request with 200 "ok" and prints its address.
func serveTarget(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Println(ln.Addr().String())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
}

// startTarget starts the target server process and returns its URL.
func startTarget(ctx context.Context) (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("own binary: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, "-serve", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, fmt.Errorf("target stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start target: %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("target address: %w", err)
	}
	return "http://" + strings.TrimSpace(line) + "/", stop, nil
}
