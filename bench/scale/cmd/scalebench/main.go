// Command scalebench runs Tempest's scale benchmark (package scale; go
// tool task bench:scale):
//
//	scalebench [-n 1000] [-backends postgresql,embedded] [-knee postgresql]
//	           [-max-n 16000] [-hold 10s] [-json PATH] [-md PATH] [-keep]
//
// It builds tempest, starts the local Kubernetes cluster (and the
// PostgreSQL Temporal cluster for that backend), measures N experiments on
// each backend beside the bare client-go deletes, then on the -knee
// backend doubles N until something gives. It prints the Markdown table
// and what gave, and writes every result as JSON. The exit code is 1 if a
// measurement failed, not if the knee was found.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tempest-chaos/tempest/bench/scale"
)

func main() {
	n := flag.Int("n", 1000, "experiments at once")
	backends := flag.String("backends", "postgresql,embedded", "backends to measure N on, comma-separated")
	knee := flag.String("knee", "postgresql", "backend on which to double N until something gives (empty: none)")
	maxN := flag.Int("max-n", 16000, "largest N the knee search tries")
	hold := flag.Duration("hold", 10*time.Second, "each experiment's chaos window")
	jsonPath := flag.String("json", "", "write the results as JSON here")
	mdPath := flag.String("md", "", "write the Markdown table here")
	keep := flag.Bool("keep", false, "keep the kwok fixture (namespaces, Deployments, nodes) afterwards")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *n, *maxN, strings.Split(*backends, ","), *knee, *hold, *jsonPath, *mdPath, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n, maxN int, backends []string, knee string, hold time.Duration, jsonPath, mdPath string, keep bool) error {
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "scalebench-")
	if err != nil {
		return err
	}
	logf("logs in %s", dir)
	tempest := filepath.Join(dir, "tempest")
	build := exec.CommandContext(ctx, "go", "build", "-o", tempest, "./cmd/tempest")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/tempest: %w", err)
	}
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(root, "deploy", "local-cluster", "up.sh")).Output()
	if err != nil {
		return fmt.Errorf("deploy/local-cluster/up.sh: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	kubeconfig := lines[len(lines)-1]
	restCfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	if !keep {
		defer func() {
			kc, err := kubernetes.NewForConfig(restCfg)
			if err == nil {
				err = scale.DeleteFixture(context.Background(), kc)
			}
			if err != nil {
				logf("deleting the fixture: %v", err)
			}
		}()
	}
	cfg := scale.Config{Hold: hold, Root: root, Tempest: tempest, Kubeconfig: kubeconfig, Rest: restCfg, Logf: logf}
	var results []*scale.Result
	var gave string
	// write puts what was measured so far in the files, after every
	// measurement: a long knee search interrupted (Ctrl-C) keeps its figures.
	write := func() error {
		var md strings.Builder
		scale.WriteTable(&md, results)
		if gave != "" {
			fmt.Fprintf(&md, "\nKnee (%s): %s\n", knee, gave)
		}
		if mdPath != "" {
			if err := os.WriteFile(mdPath, []byte(md.String()), 0o644); err != nil {
				return err
			}
		}
		if jsonPath != "" {
			b, err := json.MarshalIndent(map[string]any{"results": results, "knee": gave, "at": time.Now().UTC()}, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(jsonPath, b, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	add := func(r *scale.Result) {
		results = append(results, r)
		if err := write(); err != nil {
			logf("writing the results: %v", err)
		}
	}
	var failed error
	for _, b := range backends {
		cfg.Backend, cfg.N = scale.Backend(strings.TrimSpace(b)), n
		cfg.Dir = filepath.Join(dir, fmt.Sprintf("%s-%d", b, n))
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return err
		}
		r, err := scale.Run(ctx, cfg)
		if r != nil {
			add(r)
		}
		if err != nil {
			failed = fmt.Errorf("%s N=%d: %w", b, n, err)
			logf("%v", failed)
		}
	}
	if knee != "" && failed == nil {
		cfg.Backend = scale.Backend(knee)
		cfg.Dir = filepath.Join(dir, knee+"-knee")
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return err
		}
		var base *scale.Result
		for _, r := range results {
			if r.Backend == cfg.Backend && r.N == n {
				base = r
			}
		}
		_, gave = scale.Knee(ctx, cfg, base, 2*n, maxN, add)
		if gave == "" {
			gave = fmt.Sprintf("nothing gave up to N=%d", maxN)
		}
		logf("knee: %s", gave)
	}
	if err := write(); err != nil {
		return err
	}
	var md strings.Builder
	scale.WriteTable(&md, results)
	if gave != "" {
		fmt.Fprintf(&md, "\nKnee (%s): %s\n", knee, gave)
	}
	fmt.Print(md.String())
	return failed
}

// repoRoot is the directory of the go.mod above the working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run scalebench inside the tempest module")
	}
	return filepath.Dir(mod), nil
}
