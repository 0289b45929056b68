package proxy

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/fault/network/netnsid"
)

// crashHelperEnv makes the test binary the helper worker (see TestMain).
const crashHelperEnv = "TEMPEST_PROXY_CRASH_HELPER"

// TestMain runs the test binary as the helper "worker" that
// TestWorkerKilledLeavesRedirect kills, when crashHelperEnv is set: it
// injects 100 ms of latency, says "ready" and waits (60 s at most).
func TestMain(m *testing.M) {
	if args := os.Getenv(crashHelperEnv); args != "" {
		crashHelper(args)
	}
	os.Exit(m.Run())
}

func crashHelper(args string) {
	f := strings.Split(args, ",") // run, namespace, dependency
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := &Driver{}
	if _, err := d.Inject(ctx, f[0], "slow-db", 1, Spec{Dependency: f[2], Namespace: f[1],
		Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}}); err != nil {
		fmt.Println("inject:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
	os.Exit(2) // not killed: the parent failed
}

// A worker killed (SIGKILL) mid-hold leaves its redirect and loses its
// proxy: the dependency's new connections are refused (the latency
// fault has become a partition). Leftovers finds the table by its run
// marker; an Inject after the restart brings the latency back with a new
// proxy in the same table; CleanupRun removes it and the baseline returns.
func TestWorkerKilledLeavesRedirect(t *testing.T) {
	tp := newTopo(t)
	startEcho(t, tp.server, serverIP, 7000)
	dep := serverIP + ":7000"
	base := medianRTT(t, tp.client, dep, 10)
	run := runID("run-killed")

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+strings.Join([]string{run, tp.client, dep}, ","))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready") || strings.HasPrefix(sc.Text(), "inject:") {
				ready <- sc.Text()
				return
			}
		}
		ready <- "helper exited"
	}()
	select {
	case line := <-ready:
		if line != "ready" {
			t.Fatalf("helper worker: %s", line)
		}
	case <-time.After(time.Minute):
		t.Fatal("helper worker not ready after 1m")
	}
	if lat := medianRTT(t, tp.client, dep, 5); lat < 100*time.Millisecond {
		t.Errorf("through the helper's proxy: median round trip %v, want >= 100ms", lat)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if c, err := dial(t, tp.client, dep, 2*time.Second); err == nil {
		c.Close()
		t.Error("the dependency still connects with the redirect left and its proxy dead; want refused")
	} else {
		t.Logf("worker killed: the dependency is refused: %v", err)
	}

	d := &Driver{} // the next worker
	t.Cleanup(d.Close)
	ctx := within(t, 2*time.Minute)
	left, err := d.LeftoversEverywhere(ctx)
	if err != nil {
		t.Fatalf("LeftoversEverywhere: %v", err)
	}
	var mine []Leftover
	for _, l := range left {
		if l.Run == run {
			mine = append(mine, l)
		}
	}
	if len(mine) != 1 || mine[0].Table != TableName(run, "slow-db", 1) || mine[0].Namespace.Name != tp.client ||
		mine[0].Marker.Dependency != dep || mine[0].Marker.Fault != "slow-db" {
		t.Fatalf("leftovers of the killed run = %+v, want its one table in %s", mine, tp.client)
	}
	t.Logf("leftover: %s", mine[0])

	// Inject after the restart: a new proxy, the same table.
	st, err := d.Inject(ctx, run, "slow-db", 1, Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}})
	if err != nil {
		t.Fatalf("Inject after the restart: %v", err)
	}
	if st.Listen == mine[0].Marker.Listen {
		t.Errorf("the new proxy listens where the dead one did (%s)", st.Listen)
	}
	if got := proxyTables(t, d, tp.client); len(got) != 1 {
		t.Errorf("tables after re-injecting = %v, want one", got)
	}
	if lat := medianRTT(t, tp.client, dep, 5); lat < 100*time.Millisecond {
		t.Errorf("after re-injecting: median round trip %v, want >= 100ms", lat)
	}

	removed, err := d.CleanupRun(ctx, netnsid.Target{Name: tp.client}, run)
	if err != nil || len(removed) != 1 {
		t.Fatalf("CleanupRun = %+v, %v; want one table removed", removed, err)
	}
	if after := medianRTT(t, tp.client, dep, 10); after > base+50*time.Millisecond {
		t.Errorf("after CleanupRun: median round trip %v, want the baseline %v (+50ms)", after, base)
	}
	if got := proxyTables(t, d, tp.client); len(got) != 0 {
		t.Errorf("tables left: %v", got)
	}
}

// A proxy whose table another worker reverted stops itself.
func TestProxyStopsWhenItsTableGoes(t *testing.T) {
	tp := newTopo(t)
	startEcho(t, tp.server, serverIP, 7000)
	dep := serverIP + ":7000"
	a, b := &Driver{}, &Driver{}
	t.Cleanup(a.Close)
	ctx := within(t, time.Minute)
	st, err := a.Inject(ctx, runID("run-watch"), "w", 1, Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{{Type: Latency, Latency: ms(10)}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if err := b.Revert(ctx, st); err != nil {
		t.Fatalf("Revert by another driver: %v", err)
	}
	deadline := time.Now().Add(4 * watchEvery)
	for {
		a.mu.Lock()
		n := len(a.running)
		a.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy still runs %v after its table went", 4*watchEvery)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c, err := dial(t, tp.client, st.Listen, time.Second); err == nil {
		c.Close()
		t.Errorf("the stopped proxy still listens on %s", st.Listen)
	}
}
