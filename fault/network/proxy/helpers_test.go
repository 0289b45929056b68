package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault/network/netnsid"
	"github.com/tempest-chaos/tempest/fault/network/netnstest"
)

// Addresses of the test topology: a veth pair between two namespaces
// the test makes, so no traffic leaves them.
const (
	serverIP  = "10.97.0.1"
	clientIP  = "10.97.0.2"
	serverIP6 = "fd00:97::1"
	clientIP6 = "fd00:97::2"
)

// requireRoot fails (never skips) without root: CI runs these as root.
func requireRoot(t testing.TB) { netnstest.RequireRoot(t) }

// newNetns makes a named network namespace, removed in Cleanup.
func newNetns(t testing.TB) string { return netnstest.New(t, "tpx") }

// inNetns runs f on a thread in namespace name; sockets f makes stay there.
func inNetns(t testing.TB, name string, f func()) { netnstest.In(t, name, f) }

// topo is a server namespace and a client namespace joined by a veth
// pair (eth0 in each), loopback up in both.
type topo struct {
	server, client string
}

func newTopo(t testing.TB) topo {
	t.Helper()
	tp := topo{server: newNetns(t), client: newNetns(t)}
	netnstest.Pair(t, tp.server, tp.client, []string{serverIP + "/24", serverIP6 + "/64"}, []string{clientIP + "/24", clientIP6 + "/64"})
	return tp
}

// echoServer echoes every byte it reads, on ip:port in namespace ns ("" for
// the test's own), recording the remote address of each connection;
// closed in Cleanup.
type echoServer struct {
	addr string
	mu   sync.Mutex
	from []string
}

func (s *echoServer) peers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.from)
}

func startEcho(t testing.TB, ns, ip string, port int) *echoServer {
	t.Helper()
	var l net.Listener
	var err error
	listen := func() { l, err = net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port))) }
	if ns == "" {
		listen()
	} else {
		inNetns(t, ns, listen)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{addr: l.Addr().String()}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.from = append(s.from, c.RemoteAddr().String())
			s.mu.Unlock()
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// dial connects from namespace ns ("" for the test's own) to addr.
func dial(t testing.TB, ns, addr string, timeout time.Duration) (net.Conn, error) {
	t.Helper()
	var c net.Conn
	var err error
	d := func() { c, err = net.DialTimeout("tcp", addr, timeout) }
	if ns == "" {
		d()
	} else {
		inNetns(t, ns, d)
	}
	return c, err
}

// roundTrip writes one byte on c and reads its echo, returning the time
// it took.
func roundTrip(c net.Conn) (time.Duration, error) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	start := time.Now()
	if _, err := c.Write([]byte{'x'}); err != nil {
		return 0, err
	}
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// medianRTT opens n connections from ns to addr, one after another, and
// returns the median round trip (connect not included), checking that
// each connection's remote address is addr itself: the application
// dials the dependency's own address.
func medianRTT(t testing.TB, ns, addr string, n int) time.Duration {
	t.Helper()
	var rtts []time.Duration
	for range n {
		c, err := dial(t, ns, addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		if got := c.RemoteAddr().String(); got != addr {
			t.Fatalf("connection's remote address %s, want %s", got, addr)
		}
		rtt, err := roundTrip(c)
		c.Close()
		if err != nil {
			t.Fatalf("round trip to %s: %v", addr, err)
		}
		rtts = append(rtts, rtt)
	}
	slices.Sort(rtts)
	return rtts[len(rtts)/2]
}

// runID is unique to this test process, so concurrent runs of the
// package never see each other's leftovers as their own.
func runID(name string) string { return fmt.Sprintf("%s-%d", name, os.Getpid()) }

func within(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func requireKind(t testing.TB, err error, want string) {
	t.Helper()
	got, ok := errkind.TypeOf(err)
	if !ok || got != want {
		t.Fatalf("error = %v (kind %q), want kind %s", err, got, want)
	}
}

// ms is a duration for a spec.
func ms(n int) experiment.Duration { return experiment.Duration(time.Duration(n) * time.Millisecond) }

func float(v float64) *float64 { return &v }

// proxyTables lists the redirect tables in namespace name.
func proxyTables(t testing.TB, d *Driver, name string) []string {
	t.Helper()
	found, err := d.Leftovers(within(t, 10*time.Second), netnsid.Target{Name: name})
	if err != nil {
		t.Fatalf("Leftovers: %v", err)
	}
	var out []string
	for _, l := range found {
		out = append(out, l.Family+" "+l.Table)
	}
	return out
}
