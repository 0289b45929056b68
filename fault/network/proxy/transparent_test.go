package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netns"

	"github.com/tempest-chaos/tempest/fault/network/netnsid"
)

// 100 ms of latency through the transparent proxy, in a named namespace:
// the client dials the server's own address (medianRTT checks the
// connection's remote address) and its round trips take at least 100
// ms and less than 100 ms plus a generous margin; revert restores the
// baseline; inject and revert are idempotent.
func TestTransparentLatencyNamedNamespace(t *testing.T) {
	tp := newTopo(t)
	srv := startEcho(t, tp.server, serverIP, 7000)
	dep := serverIP + ":7000"
	base := medianRTT(t, tp.client, dep, 15)

	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, 2*time.Minute)
	spec := Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}}
	st, err := d.Inject(ctx, runID("run-latency"), "slow-db", 1, spec)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if st.Table != TableName(runID("run-latency"), "slow-db", 1) || st.Family != "ip" || st.Namespace.Name != tp.client {
		t.Errorf("state = %+v", st)
	}
	if host, _, _ := net.SplitHostPort(st.Listen); host != "127.0.0.1" {
		t.Errorf("listen = %q, want loopback in the client's namespace", st.Listen)
	}
	if got := proxyTables(t, d, tp.client); len(got) != 1 {
		t.Errorf("tables in the client namespace = %v, want one", got)
	}

	lat := medianRTT(t, tp.client, dep, 15)
	t.Logf("median round trip: baseline %v, with 100ms latency %v", base, lat)
	if lat < 100*time.Millisecond || lat > base+100*time.Millisecond+400*time.Millisecond {
		t.Errorf("median round trip %v with 100ms latency, want 100ms to 100ms+%v+400ms", lat, base)
	}

	// The proxy dials from the client's namespace: the server sees the
	// client's address, as without the proxy.
	for _, p := range srv.peers() {
		if host, _, _ := net.SplitHostPort(p); host != clientIP {
			t.Errorf("the server saw a connection from %s, want %s", p, clientIP)
		}
	}

	// Again: the same proxy and table, its toxics replaced (now 150 ms).
	spec.Toxics[0].Latency = ms(150)
	st2, err := d.Inject(ctx, runID("run-latency"), "slow-db", 1, spec)
	if err != nil {
		t.Fatalf("second Inject: %v", err)
	}
	if st2.Listen != st.Listen || st2.Table != st.Table {
		t.Errorf("second Inject state %+v, want the same proxy and table as %+v", st2, st)
	}
	if got := proxyTables(t, d, tp.client); len(got) != 1 {
		t.Errorf("tables after the second Inject = %v, want one", got)
	}
	if lat := medianRTT(t, tp.client, dep, 5); lat < 150*time.Millisecond {
		t.Errorf("median round trip %v after re-injecting 150ms", lat)
	}

	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	after := medianRTT(t, tp.client, dep, 15)
	t.Logf("median round trip after Revert: %v", after)
	if after > base+50*time.Millisecond {
		t.Errorf("median round trip %v after Revert, want the baseline %v (+50ms)", after, base)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("second Revert: %v", err)
	}
	if got := proxyTables(t, d, tp.client); len(got) != 0 {
		t.Errorf("tables left after Revert: %v", got)
	}
	if c, err := dial(t, tp.client, st.Listen, time.Second); err == nil {
		c.Close()
		t.Errorf("the embedded proxy still listens on %s after Revert", st.Listen)
	}
}

// In the worker's own namespace (the test's), with jitter: a loopback
// dependency whose own traffic from the proxy would be redirected again
// if the mark did not exempt it. Toxicity 0 leaves connections alone.
func TestTransparentJitterOwnNamespace(t *testing.T) {
	requireRoot(t)
	srv := startEcho(t, "", "127.0.0.1", 0)
	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, 2*time.Minute)

	st, err := d.Inject(ctx, runID("run-jitter"), "jitter", 1, Spec{Dependency: srv.addr,
		Toxics: []Toxic{{Type: Latency, Latency: ms(60), Jitter: ms(40)}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	t.Cleanup(func() { _ = d.Revert(ctx, st) })
	if !netnsid.IsSelf(st.Namespace) {
		t.Errorf("namespace %+v is not the worker's", st.Namespace)
	}
	var lo, hi time.Duration
	for i := range 15 {
		c, err := dial(t, "", srv.addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		rtt, err := roundTrip(c)
		c.Close()
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if i == 0 || rtt < lo {
			lo = rtt
		}
		hi = max(hi, rtt)
	}
	t.Logf("60ms ± 40ms: round trips from %v to %v", lo, hi)
	if lo < 20*time.Millisecond {
		t.Errorf("shortest round trip %v, want at least 20ms (60ms - 40ms)", lo)
	}
	if hi-lo < 5*time.Millisecond {
		t.Errorf("round trips %v to %v: no jitter", lo, hi)
	}

	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	st, err = d.Inject(ctx, runID("run-jitter"), "jitter", 2, Spec{Dependency: srv.addr,
		Toxics: []Toxic{{Type: Latency, Latency: ms(300), Toxicity: float(0)}}})
	if err != nil {
		t.Fatalf("Inject toxicity 0: %v", err)
	}
	if rtt := medianRTT(t, "", srv.addr, 5); rtt > 150*time.Millisecond {
		t.Errorf("toxicity 0: median round trip %v, want no added latency", rtt)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
}

// Toxics that make connections fail do: the client connects (to the
// proxy, unknowingly) and its round trip fails; revert restores it.
func TestTransparentFailingToxics(t *testing.T) {
	tp := newTopo(t)
	startEcho(t, tp.server, serverIP, 7000)
	dep := serverIP + ":7000"
	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, 2*time.Minute)
	for i, tc := range []struct {
		name  string
		toxic Toxic
	}{
		{"reset_peer", Toxic{Type: ResetPeer}},
		{"reset_peer upstream", Toxic{Type: ResetPeer, Stream: Upstream}},
		{"down", Toxic{Type: Down}},
		{"timeout", Toxic{Type: Timeout, Timeout: ms(100)}},
		{"limit_data", Toxic{Type: LimitData, Bytes: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := d.Inject(ctx, runID("run-fail"), "fail", i, Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{tc.toxic}})
			if err != nil {
				t.Fatalf("Inject: %v", err)
			}
			for range 3 {
				c, err := dial(t, tp.client, dep, 5*time.Second)
				if err != nil {
					continue // failed at once: fine
				}
				if _, err := roundTrip(c); err == nil {
					t.Errorf("a round trip succeeded under %s", tc.name)
				} else if ne := (net.Error)(nil); errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("a round trip timed out (10s) under %s instead of failing", tc.name)
				}
				c.Close()
			}
			if err := d.Revert(ctx, st); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			c, err := dial(t, tp.client, dep, 5*time.Second)
			if err != nil {
				t.Fatalf("dial after Revert: %v", err)
			}
			defer c.Close()
			if _, err := roundTrip(c); err != nil {
				t.Errorf("round trip after Revert: %v", err)
			}
		})
	}
}

// An operator's own nftables tables (a filter table, and a nat table
// hooked where the redirect is) survive inject and revert with their rules.
func TestOperatorTableSurvives(t *testing.T) {
	tp := newTopo(t)
	startEcho(t, tp.server, serverIP, 7000)
	dep := serverIP + ":7000"
	h, err := netns.GetFromName(tp.client)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	conn, err := nftables.New(nftables.WithNetNSFd(int(h)))
	if err != nil {
		t.Fatal(err)
	}
	accept := nftables.ChainPolicyAccept
	for _, op := range []struct {
		name string
		fam  nftables.TableFamily
		typ  nftables.ChainType
	}{{"operator", nftables.TableFamilyINet, nftables.ChainTypeFilter}, {"operator_nat", nftables.TableFamilyIPv4, nftables.ChainTypeNAT}} {
		tb := conn.AddTable(&nftables.Table{Name: op.name, Family: op.fam})
		ch := conn.AddChain(&nftables.Chain{Name: "out", Table: tb, Type: op.typ, Hooknum: nftables.ChainHookOutput,
			Priority: nftables.ChainPriorityRef(0), Policy: &accept})
		conn.AddRule(&nftables.Rule{Table: tb, Chain: ch, Exprs: []expr.Any{&expr.Counter{}}})
	}
	if err := conn.Flush(); err != nil {
		t.Fatalf("operator tables: %v", err)
	}
	check := func(when string) {
		t.Helper()
		for _, op := range []struct {
			name string
			fam  nftables.TableFamily
		}{{"operator", nftables.TableFamilyINet}, {"operator_nat", nftables.TableFamilyIPv4}} {
			tb := &nftables.Table{Name: op.name, Family: op.fam}
			rules, err := conn.GetRules(tb, &nftables.Chain{Name: "out", Table: tb})
			if err != nil || len(rules) != 1 {
				t.Errorf("%s: operator table %s: %d rules, %v; want its one rule", when, op.name, len(rules), err)
			}
		}
	}

	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, time.Minute)
	st, err := d.Inject(ctx, runID("run-operator"), "slow", 1, Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	check("after Inject")
	if lat := medianRTT(t, tp.client, dep, 5); lat < 100*time.Millisecond {
		t.Errorf("median round trip %v beside the operator's tables, want >= 100ms", lat)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	check("after Revert")
}

// Bad specs are refused before anything starts: no table, no proxy.
func TestInjectBadSpecStartsNothing(t *testing.T) {
	tp := newTopo(t)
	d := &Driver{}
	t.Cleanup(d.Close)
	_, err := d.Inject(within(t, time.Minute), runID("run-bad"), "bad", 1, Spec{Dependency: serverIP + ":http", Namespace: tp.client,
		Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}})
	requireKind(t, err, "InvalidSpec")
	if got := proxyTables(t, d, tp.client); len(got) != 0 {
		t.Errorf("tables after a refused Inject: %v", got)
	}
	d.mu.Lock()
	n := len(d.running)
	d.mu.Unlock()
	if n != 0 {
		t.Errorf("%d embedded proxies after a refused Inject", n)
	}
	_, err = d.Inject(within(t, time.Minute), runID("run-bad"), "bad", 1, Spec{Dependency: serverIP + ":7000", Namespace: "tpx-no-such-ns-" + strconv.Itoa(1),
		Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}})
	requireKind(t, err, "UnknownTarget")
}

// A transparent proxy of the worker's own connections to Temporal is
// refused unless allowed; nothing is added.
func TestSelfCutGuard(t *testing.T) {
	requireRoot(t)
	ctx := within(t, time.Minute)
	for _, tc := range []struct {
		temporal, dep string
		refused       bool
	}{
		{"127.0.0.1:7233", "127.0.0.1:7233", true},
		{"localhost:7233", "127.0.0.1:7233", true},
		{"tpx-no-such-host.invalid:7233", "127.0.0.1:7233", true},
		{"127.0.0.1:7233", "127.0.0.1:7234", false},
		{"127.0.0.1:7233", "127.0.0.2:7233", false},
	} {
		dep, err := parseDependency(tc.dep)
		if err != nil {
			t.Fatal(err)
		}
		err = guardSelfCut(ctx, dep, tc.temporal)
		if tc.refused {
			requireKind(t, err, "Refused")
		} else if err != nil {
			t.Errorf("guard(%s, %s) = %v, want nil", tc.temporal, tc.dep, err)
		}
	}
	// Port 9 (discard): nothing on this host uses it, so the allowed
	// redirect below disturbs no one's connections.
	d := &Driver{TemporalAddress: "localhost:9"}
	t.Cleanup(d.Close)
	spec := Spec{Dependency: "127.0.0.1:9", Toxics: []Toxic{{Type: Latency, Latency: ms(10)}}}
	_, err := d.Inject(ctx, runID("run-self"), "self", 1, spec)
	requireKind(t, err, "Refused")
	if !strings.Contains(err.Error(), "allowSelfCut") {
		t.Errorf("error %q does not say how to allow it", err)
	}
	found, err := d.LeftoversEverywhere(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range found {
		if l.Run == runID("run-self") {
			t.Errorf("a refused Inject left %s", l)
		}
	}
	spec.AllowSelfCut = true
	st, err := d.Inject(ctx, runID("run-self"), "self", 1, spec)
	if err != nil {
		t.Fatalf("Inject with allowSelfCut: %v", err)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
}

// Bandwidth and slow_close through the transparent proxy slow what they
// should, by at least what they promise (lower bounds only: a loaded
// machine only slows things further).
func TestTransparentSlowingToxics(t *testing.T) {
	tp := newTopo(t)
	startEcho(t, tp.server, serverIP, 7000)
	startHangUp(t, tp.server, 7002)
	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, 2*time.Minute)

	// echoBack sends n bytes to the echo server and reads them back.
	echoBack := func(dep string, n int) error {
		c, err := dial(t, tp.client, dep, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		go func() { _, _ = c.Write(make([]byte, n)) }()
		_, err = io.ReadFull(c, make([]byte, n))
		return err
	}
	// readToEOF reads what the hang-up server says until it closes.
	readToEOF := func(dep string, _ int) error {
		c, err := dial(t, tp.client, dep, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		b, err := io.ReadAll(c)
		if err == nil && string(b) != "bye" {
			err = fmt.Errorf("read %q, want bye", b)
		}
		return err
	}
	for i, tc := range []struct {
		name  string
		port  int
		toxic Toxic
		bytes int
		do    func(dep string, n int) error
		min   time.Duration
	}{
		// 200 KB at 400 KB/s downstream: 0.5 s at least (0.4 s allowed for the first burst).
		{"bandwidth", 7000, Toxic{Type: Bandwidth, Rate: "3200kbit"}, 200_000, echoBack, 400 * time.Millisecond},
		// The server's close reaches the client 300 ms late.
		{"slow_close", 7002, Toxic{Type: SlowClose, Delay: ms(300)}, 0, readToEOF, 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep := net.JoinHostPort(serverIP, strconv.Itoa(tc.port))
			if err := tc.do(dep, tc.bytes); err != nil { // warm up: neighbours resolved
				t.Fatalf("baseline: %v", err)
			}
			start := time.Now()
			if err := tc.do(dep, tc.bytes); err != nil {
				t.Fatalf("baseline: %v", err)
			}
			base := time.Since(start)
			if base >= tc.min {
				t.Fatalf("baseline %v: too slow to show a toxic of at least %v", base, tc.min)
			}
			st, err := d.Inject(ctx, runID("run-slow"), "slow", i, Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{tc.toxic}})
			if err != nil {
				t.Fatalf("Inject: %v", err)
			}
			start = time.Now()
			if err := tc.do(dep, tc.bytes); err != nil {
				t.Fatalf("through the toxic: %v", err)
			}
			slow := time.Since(start)
			t.Logf("%s: %v, %v through the toxic", tc.name, base, slow)
			if slow < tc.min {
				t.Errorf("%s: %v through the toxic, want at least %v", tc.name, slow, tc.min)
			}
			if err := d.Revert(ctx, st); err != nil {
				t.Fatalf("Revert: %v", err)
			}
		})
	}
}

// startHangUp listens on serverIP:port in namespace ns; it says "bye" to
// each connection and closes it.
func startHangUp(t testing.TB, ns string, port int) {
	t.Helper()
	var l net.Listener
	var err error
	inNetns(t, ns, func() { l, err = net.Listen("tcp", net.JoinHostPort(serverIP, strconv.Itoa(port))) })
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("bye"))
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
}

// An IPv6 dependency: the redirect table is family ip6 and the proxy
// listens on ::1 in the namespace.
func TestTransparentIPv6(t *testing.T) {
	tp := newTopo(t)
	startEcho(t, tp.server, serverIP6, 7000)
	dep := "[" + serverIP6 + "]:7000"
	base := medianRTT(t, tp.client, dep, 5)
	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, time.Minute)
	st, err := d.Inject(ctx, runID("run-v6"), "slow", 1, Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if host, _, _ := net.SplitHostPort(st.Listen); st.Family != "ip6" || host != "::1" {
		t.Errorf("state = %+v, want family ip6 and a proxy on ::1", st)
	}
	lat := medianRTT(t, tp.client, dep, 5)
	t.Logf("IPv6: median round trip %v, with 100ms latency %v", base, lat)
	if lat < 100*time.Millisecond {
		t.Errorf("median round trip %v with 100ms latency", lat)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if got := proxyTables(t, d, tp.client); len(got) != 0 {
		t.Errorf("tables left: %v", got)
	}
}

// The namespace of a process (by pid) works as a named one does.
func TestTransparentByPID(t *testing.T) {
	tp := newTopo(t)
	startEcho(t, tp.server, serverIP, 7000)
	dep := serverIP + ":7000"
	var cmd *exec.Cmd
	var err error
	inNetns(t, tp.client, func() {
		cmd = exec.Command("sleep", "120")
		err = cmd.Start()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, time.Minute)
	st, err := d.Inject(ctx, runID("run-pid"), "slow", 1, Spec{Dependency: dep, PID: cmd.Process.Pid, Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if st.Namespace.PID != cmd.Process.Pid {
		t.Errorf("namespace = %+v", st.Namespace)
	}
	if lat := medianRTT(t, tp.client, dep, 5); lat < 100*time.Millisecond {
		t.Errorf("median round trip %v with 100ms latency in the pid's namespace", lat)
	}
	// The process gone, its namespace not: Revert finds it by identity.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if got := proxyTables(t, d, tp.client); len(got) != 0 {
		t.Errorf("tables left: %v", got)
	}
}

// One injection in two namespaces (a fault whose selector matched both):
// each has its table and its proxy, and reverting one leaves the other.
func TestTransparentSameInjectionTwoNamespaces(t *testing.T) {
	a, b := newTopo(t), newTopo(t)
	startEcho(t, a.server, serverIP, 7000)
	startEcho(t, b.server, serverIP, 7000)
	dep := serverIP + ":7000"
	d := &Driver{}
	t.Cleanup(d.Close)
	ctx := within(t, time.Minute)
	var states []State
	for _, tp := range []topo{a, b} {
		st, err := d.Inject(ctx, runID("run-two"), "slow", 1, Spec{Dependency: dep, Namespace: tp.client, Toxics: []Toxic{{Type: Latency, Latency: ms(100)}}})
		if err != nil {
			t.Fatalf("Inject in %s: %v", tp.client, err)
		}
		states = append(states, st)
	}
	for _, tp := range []topo{a, b} {
		if lat := medianRTT(t, tp.client, dep, 3); lat < 100*time.Millisecond {
			t.Errorf("%s: median round trip %v, want >= 100ms", tp.client, lat)
		}
	}
	if err := d.Revert(ctx, states[0]); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if lat := medianRTT(t, a.client, dep, 3); lat > 50*time.Millisecond {
		t.Errorf("%s after its Revert: median round trip %v", a.client, lat)
	}
	if lat := medianRTT(t, b.client, dep, 3); lat < 100*time.Millisecond {
		t.Errorf("%s after the other's Revert: median round trip %v, want its latency kept", b.client, lat)
	}
	if err := d.Revert(ctx, states[1]); err != nil {
		t.Fatalf("Revert: %v", err)
	}
}

// A namespace whose loopback is down cannot hold the proxy where the
// redirect sends: refused, naming the cause, and nothing added.
func TestTransparentLoopbackDownRefused(t *testing.T) {
	requireRoot(t)
	ns := newNetns(t) // a fresh namespace: lo is down
	d := &Driver{}
	t.Cleanup(d.Close)
	_, err := d.Inject(within(t, time.Minute), runID("run-lo"), "slow", 1, Spec{Dependency: serverIP + ":7000", Namespace: ns,
		Toxics: []Toxic{{Type: Latency, Latency: ms(10)}}})
	requireKind(t, err, "Refused")
	if !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error %q does not name the loopback", err)
	}
	if got := proxyTables(t, d, ns); len(got) != 0 {
		t.Errorf("tables after a refused Inject: %v", got)
	}
}
