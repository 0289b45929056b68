package scale

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// workerProc is one `tempest worker` process.
type workerProc struct {
	pid        int
	metricsURL string
	stop       func()
}

// startWorkers starts n `tempest worker` processes with their default
// limits on queue, each with the kubeconfig and a metrics endpoint, and
// waits until each serves its metrics.
func startWorkers(ctx context.Context, n int, tempest, dir string, srv *server, queue, kubeconfig string) ([]*workerProc, error) {
	var out []*workerProc
	for i := range n {
		metrics := fmt.Sprintf("127.0.0.1:%d", freePort())
		log, err := os.Create(filepath.Join(dir, "worker-"+strconv.Itoa(i)+".log"))
		if err != nil {
			return out, err
		}
		cmd := exec.Command(tempest, "worker", "--address", srv.address, "--namespace", srv.namespace,
			"--task-queue", queue, "--kubeconfig", kubeconfig, "--metrics-addr", metrics,
			"--worker-state-dir", filepath.Join(dir, "worker-"+strconv.Itoa(i)))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			_ = log.Close()
			return out, fmt.Errorf("tempest worker: %w", err)
		}
		exited, stop := watchProcess(cmd, log)
		w := &workerProc{pid: cmd.Process.Pid, metricsURL: "http://" + metrics + "/metrics", stop: stop}
		out = append(out, w)
		for deadline := time.Now().Add(2 * time.Minute); ; {
			if resp, err := http.Get(w.metricsURL); err == nil {
				resp.Body.Close()
				break
			}
			select {
			case <-exited:
				return out, fmt.Errorf("tempest worker exited (log %s)", log.Name())
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return out, fmt.Errorf("tempest worker serves no metrics at %s after 2 minutes (log %s)", w.metricsURL, log.Name())
			}
		}
	}
	return out, nil
}

// watchProcess waits for the started cmd in the background: exited
// closes when it has exited, and stop interrupts it (killing it after 30
// s) and closes its log.
func watchProcess(cmd *exec.Cmd, log io.Closer) (exited <-chan struct{}, stop func()) {
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return done, func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = log.Close()
	}
}

// figures sums the workers' RSS and goroutines.
func figures(ws []*workerProc) (rss, goroutines float64, err error) {
	for _, w := range ws {
		r, g, err := WorkerFigures(w.metricsURL)
		if err != nil {
			return 0, 0, err
		}
		rss, goroutines = rss+r, goroutines+g
	}
	return rss, goroutines, nil
}
