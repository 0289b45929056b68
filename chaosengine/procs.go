package chaosengine

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Binaries are the programs the harness runs, each its own OS process.
type Binaries struct {
	// Tempest and TempestNext are two builds of cmd/tempest (the second
	// with a different version string linked in): workers are rolled from
	// one to the other mid-run, as a deploy would.
	Tempest, TempestNext string
	// Target is examples/target.
	Target string
	// Server runs the embedded Temporal server alone (its "server"
	// subcommand): chaosengine/cmd/enginechaos.
	Server string
}

// Build builds the binaries from the module at root into dir.
func Build(ctx context.Context, root, dir string) (Binaries, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binaries{}, err
	}
	b := Binaries{
		Tempest:     filepath.Join(dir, "tempest"),
		TempestNext: filepath.Join(dir, "tempest-next"),
		Target:      filepath.Join(dir, "demo-target"),
		Server:      filepath.Join(dir, "enginechaos"),
	}
	builds := []struct {
		out, pkg string
		flags    []string
	}{
		{b.Tempest, "./cmd/tempest", []string{"-ldflags", "-X main.chaosBuild=v1"}},
		{b.TempestNext, "./cmd/tempest", []string{"-ldflags", "-X main.chaosBuild=v2 -X main.version=chaos-next"}},
		{b.Target, "./examples/target", nil},
		{b.Server, "./chaosengine/cmd/enginechaos", nil},
	}
	for _, bd := range builds {
		args := append([]string{"build", "-o", bd.out}, bd.flags...)
		cmd := exec.CommandContext(ctx, "go", append(args, bd.pkg)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %v\n%s", bd.pkg, err, out)
		}
	}
	return b, nil
}

// proc is one child process the harness started.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// startProc starts argv with its output in logPath, in its own process
// group.
func startProc(name, logPath string, argv ...string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: f}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill9 kills the process and waits for it.
func (p *proc) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to stop (SIGTERM), then kills it after grace.
func (p *proc) stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // a frozen process cannot stop
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.kill9()
	}
}

// serverProc is the Temporal server, restarted on the same SQLite file and
// port.
type serverProc struct {
	bin, db, addr, logPath string
	mu                     sync.Mutex
	p                      *proc
}

func (s *serverProc) start(ctx context.Context) error {
	p, err := startProc("server", s.logPath, s.bin, "server", "--db", s.db, "--address", s.addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.p = p
	s.mu.Unlock()
	return waitTCP(ctx, s.addr, 90*time.Second, p)
}

func (s *serverProc) current() *proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

// waitTCP waits until addr accepts connections (or p exits).
func waitTCP(ctx context.Context, addr string, within time.Duration, p *proc) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited before listening on %s (see its log)", p.name, addr)
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("nothing listens on %s after %s", addr, within)
}

// workerProc is one `tempest worker` process.
type workerProc struct {
	*proc
	id    int
	build string // "v1" or "v2"
}

// identity is the prefix of the worker's Temporal identity (pid@host@).
func (w *workerProc) identity() string { return strconv.Itoa(w.pid()) + "@" }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
