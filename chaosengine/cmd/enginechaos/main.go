// Command enginechaos runs Tempest under chaos (see package chaosengine):
//
//	enginechaos [-seed N] [-targets N] [-worker-kills N] ... [-json PATH]
//
// builds tempest (twice: two builds to roll workers between), the sample
// target and itself, then runs the harness and prints its summary table;
// the exit code is 1 if any check failed.
//
//	enginechaos server --db PATH --address 127.0.0.1:PORT
//
// runs the embedded Temporal server alone (no UI, no worker) on a SQLite
// file until SIGTERM: the harness runs it as its own process, so it can be
// killed -9 and restarted on the same file.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/chaosengine"
	"github.com/tempest-chaos/tempest/devserver"
	"github.com/tempest-chaos/tempest/worker"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "server" {
		if err := serve(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "enginechaos server:", err)
			os.Exit(2)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "history" {
		if err := history(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "enginechaos history:", err)
			os.Exit(2)
		}
		return
	}
	os.Exit(run())
}

// history prints a run's history (enginechaos history --address ADDR ID [RUN-ID]).
func history(args []string) error {
	fs := flag.NewFlagSet("history", flag.ExitOnError)
	addr := fs.String("address", "127.0.0.1:7233", "Temporal frontend")
	_ = fs.Parse(args)
	if fs.NArg() < 1 {
		return fmt.Errorf("usage: enginechaos history --address ADDR WORKFLOW-ID [RUN-ID]")
	}
	c, err := client.Dial(client.Options{HostPort: *addr})
	if err != nil {
		return err
	}
	defer c.Close()
	return chaosengine.WriteHistory(context.Background(), c, fs.Arg(0), fs.Arg(1), os.Stdout)
}

func serve(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	db := fs.String("db", "", "SQLite file of the server's state")
	addr := fs.String("address", "127.0.0.1:7233", "frontend address")
	_ = fs.Parse(args)
	host, portStr, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	srv, err := devserver.Start(sctx, devserver.Config{
		DBPath: *db, IP: host, FrontendPort: port, UIPort: devserver.UIDisabled,
		SearchAttributes: worker.SearchAttributes(),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "enginechaos server: pid %d serving on %s\n", os.Getpid(), srv.FrontendAddress())
	<-ctx.Done()
	return srv.Stop()
}

func run() int {
	var cfg chaosengine.Config
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "seed of every random choice")
	flag.IntVar(&cfg.Targets, "targets", 6, "demo targets, each running one experiment at a time")
	flag.IntVar(&cfg.Workers, "workers", 3, "worker processes (at least 2)")
	flag.IntVar(&cfg.WorkerKills, "worker-kills", 50, "kill -9 of a worker (a new one starts)")
	flag.IntVar(&cfg.ServerRestarts, "server-restarts", 10, "kill -9 and restart of the Temporal server")
	flag.IntVar(&cfg.NetworkCuts, "network-cuts", 10, "worker-to-server cuts (blackhole or reset)")
	flag.IntVar(&cfg.Freezes, "freezes", 10, "SIGSTOP of a worker, then SIGCONT")
	flag.IntVar(&cfg.Aborts, "aborts", 20, "aborts of a running experiment")
	flag.IntVar(&cfg.Terminates, "terminates", 5, "terminations of a running experiment")
	flag.IntVar(&cfg.Upgrades, "upgrades", 2, "rolls of every worker to the other build")
	flag.DurationVar(&cfg.CutMin, "cut-min", 10*time.Second, "shortest network cut")
	flag.DurationVar(&cfg.CutMax, "cut-max", 30*time.Second, "longest network cut")
	flag.DurationVar(&cfg.GapMin, "gap-min", 2*time.Second, "shortest pause between two chaos actions")
	flag.DurationVar(&cfg.GapMax, "gap-max", 8*time.Second, "longest pause between two chaos actions")
	root := flag.String("root", ".", "the tempest module's directory")
	dir := flag.String("dir", "", "work directory (default: a new temporary one, kept)")
	burn := flag.Int("burn", 0, "busy loops to run beside the harness (a loaded machine: e.g. 2x the cores)")
	jsonPath := flag.String("json", "", "write the report as JSON here (default DIR/report.json)")
	flag.Parse()
	cfg.Seed = *seed
	cfg.Log = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dir == "" {
		d, err := os.MkdirTemp("", "enginechaos-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		*dir = d
	}
	cfg.Dir = *dir
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// The harness's log (every chaos action, every measure) also stays
	// beside the other logs.
	if f, err := os.Create(filepath.Join(cfg.Dir, "harness.log")); err == nil {
		defer f.Close()
		cfg.Log = io.MultiWriter(os.Stdout, f)
	}
	fmt.Printf("enginechaos: work dir %s (logs of every process), seed %d\n", cfg.Dir, cfg.Seed)
	bins, err := chaosengine.Build(ctx, *root, filepath.Join(cfg.Dir, "bin"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg.Bins = bins
	if *burn > 0 {
		stopBurn, err := startBurners(*burn)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer stopBurn()
		fmt.Printf("enginechaos: %d busy loops beside the harness\n", *burn)
	}
	rep, err := chaosengine.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "enginechaos:", err)
		return 2
	}
	rep.WriteSummary(os.Stdout)
	if *jsonPath == "" {
		*jsonPath = filepath.Join(cfg.Dir, "report.json")
	}
	if err := rep.WriteJSON(*jsonPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("report:", *jsonPath)
	if !rep.OK() {
		return 1
	}
	return 0
}

// startBurners starts n shell busy loops, the way testenv/cpuburn does for
// tests (that package needs a testing.TB): each its own process group,
// killed with the harness.
func startBurners(n int) (stop func(), err error) {
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			_ = c.Wait()
		}
	}
	for range n {
		c := exec.Command("/bin/sh", "-c", "while :; do :; done")
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("burner: %w", err)
		}
		cmds = append(cmds, c)
	}
	return stop, nil
}
