// Command target is a tiny HTTP server to run chaos experiments against:
// the sample experiment (examples/process-kill.yaml) and the tests kill,
// pause and restart it.
//
//	target -addr 127.0.0.1:18080 -pidfile PATH -starts PATH [-serve-delay 30s]
//
// It serves GET /healthz (200 "ok") and GET / (200). On start it writes its
// pid to -pidfile and appends one line ("<RFC3339 time> pid <pid> addr <addr>")
// to -starts, so tests can count restarts. SIGTERM or SIGINT shut it down
// gracefully (in-flight requests finish, at most 5s) and remove its pid file.
//
// With -serve-delay it plays a service slow to come back: it writes its pid
// file and start line at once, then waits that long before it listens, so
// it runs (and is found by pid file or name) but does not serve meanwhile.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// shutdownGrace bounds the graceful shutdown.
const shutdownGrace = 5 * time.Second

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	pidFile := flag.String("pidfile", "", "write the pid to this file (optional)")
	starts := flag.String("starts", "", "append one line per start to this file (optional)")
	serveDelay := flag.Duration("serve-delay", 0, "run this long before listening (a slow start)")
	flag.Parse()
	if err := run(*addr, *pidFile, *starts, *serveDelay); err != nil {
		log.Fatalf("target: %v", err)
	}
}

func run(addr, pidFile, starts string, serveDelay time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Without a delay, listen first: a start that cannot bind records nothing.
	var l net.Listener
	if serveDelay <= 0 {
		var err error
		if l, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		addr = l.Addr().String()
	}
	pid := os.Getpid()
	if pidFile != "" {
		if err := writePIDFile(pidFile, pid); err != nil {
			return err
		}
		defer removePIDFile(pidFile, pid)
	}
	if starts != "" {
		if err := appendStart(starts, pid, addr); err != nil {
			return err
		}
	}
	if l == nil {
		log.Printf("target: pid %d started, serving on %s in %s", pid, addr, serveDelay)
		select {
		case <-time.After(serveDelay):
		case <-ctx.Done():
			return nil
		}
		var err error
		if l, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	srv := &http.Server{Handler: routes(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	log.Printf("target: pid %d serving on %s", pid, l.Addr())
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Printf("target: pid %d stopped", pid)
	return nil
}

func routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "tempest sample target")
	})
	return mux
}

// writePIDFile replaces path atomically, so readers never see a partial pid.
func writePIDFile(path string, pid int) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// removePIDFile removes path if it still names this process.
func removePIDFile(path string, pid int) {
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(pid) {
		_ = os.Remove(path)
	}
}

func appendStart(path string, pid int, addr string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starts file: %w", err)
	}
	_, err = fmt.Fprintf(f, "%s pid %d addr %s\n", time.Now().UTC().Format(time.RFC3339Nano), pid, addr)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("starts file: %w", err)
	}
	return nil
}
