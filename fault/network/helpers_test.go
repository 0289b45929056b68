package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/fault/network/netnstest"
)

// Addresses of the test topology: a veth pair between two namespaces
// the test makes, so no traffic leaves them.
const (
	serverIP = "10.99.0.1"
	clientIP = "10.99.0.2"
)

func requireRoot(t testing.TB) { netnstest.RequireRoot(t) }

// newNetns makes a named network namespace, removed in Cleanup.
func newNetns(t testing.TB) string { return netnstest.New(t, "tpst") }

// inNetns runs f on a thread in namespace name; sockets f makes stay there.
func inNetns(t testing.TB, name string, f func()) { netnstest.In(t, name, f) }

// topo is a server namespace and a client namespace joined by a veth
// pair (eth0 in each).
type topo struct {
	server, client string
}

func newTopo(t testing.TB) topo {
	t.Helper()
	tp := topo{server: newNetns(t), client: newNetns(t)}
	netnstest.Pair(t, tp.server, tp.client, []string{serverIP + "/24"}, []string{clientIP + "/24"})
	tp.awaitLink(t)
	return tp
}

// awaitLink waits (at most 10s) until a TCP connect crosses the pair:
// the carrier is up and the neighbours resolved.
func (tp topo) awaitLink(t testing.TB) {
	t.Helper()
	var l net.Listener
	var err error
	inNetns(t, tp.server, func() { l, err = net.Listen("tcp", serverIP+":0") })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := tp.dial(t, port, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the veth pair carries no traffic after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tcpServer listens on serverIP:port in the server namespace and
// accepts connections, counting the bytes it reads as they arrive;
// closed in Cleanup.
type tcpServer struct {
	port  int
	conns sync.Map // remote address -> *atomic.Int64 bytes read
}

// received is the number of bytes read so far from the client at addr.
func (s *tcpServer) received(addr string) int64 {
	if n, ok := s.conns.Load(addr); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

func (tp topo) tcpServer(t testing.TB, port int) *tcpServer {
	t.Helper()
	var l net.Listener
	var err error
	inNetns(t, tp.server, func() { l, err = net.Listen("tcp", net.JoinHostPort(serverIP, strconv.Itoa(port))) })
	if err != nil {
		t.Fatal(err)
	}
	s := &tcpServer{port: port}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			count := new(atomic.Int64)
			s.conns.Store(c.RemoteAddr().String(), count)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					count.Add(int64(n))
					if err != nil {
						return
					}
				}
			}()
		}
	}()
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

// dial connects from the client namespace to serverIP:port.
func (tp topo) dial(t testing.TB, port int, timeout time.Duration) (net.Conn, error) {
	t.Helper()
	var c net.Conn
	var err error
	inNetns(t, tp.client, func() {
		c, err = net.DialTimeout("tcp", net.JoinHostPort(serverIP, strconv.Itoa(port)), timeout)
	})
	return c, err
}

// connects reports whether a TCP connect to port succeeds: three tries
// of 2s each, so a loaded machine does not pass for a partition. (A
// cut port costs 6s; tests that expect one use cut.)
func (tp topo) connects(t testing.TB, port int) bool {
	t.Helper()
	for range 3 {
		if c, err := tp.dial(t, port, 2*time.Second); err == nil {
			c.Close()
			return true
		}
	}
	return false
}

// cut reports whether a TCP connect to port fails within 500ms.
func (tp topo) cut(t testing.TB, port int) bool {
	t.Helper()
	c, err := tp.dial(t, port, 500*time.Millisecond)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// udpDelivered sends n datagrams from the client to serverIP:port and
// returns how many the server received.
func (tp topo) udpDelivered(t testing.TB, port, n int) int {
	t.Helper()
	var srv, cli net.PacketConn
	var err error
	inNetns(t, tp.server, func() { srv, err = net.ListenPacket("udp", net.JoinHostPort(serverIP, strconv.Itoa(port))) })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_ = srv.(*net.UDPConn).SetReadBuffer(4 << 20) // hold all n even if the reader lags
	inNetns(t, tp.client, func() { cli, err = net.ListenPacket("udp", clientIP+":0") })
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			_ = srv.SetReadDeadline(time.Now().Add(time.Second))
			if _, _, err := srv.ReadFrom(buf); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	dst := &net.UDPAddr{IP: net.ParseIP(serverIP), Port: port}
	for i := range n {
		if _, err := cli.WriteTo([]byte(fmt.Sprint(i)), dst); err != nil && !errors.Is(err, os.ErrPermission) {
			t.Fatal(err)
		}
		if i%20 == 19 {
			time.Sleep(time.Millisecond) // never outrun the socket buffers
		}
	}
	<-done
	return int(got.Load())
}

// throughput sends as fast as it can from the client to s for d and
// returns the rate the server received meanwhile, in bits per second.
func (tp topo) throughput(t testing.TB, s *tcpServer, d time.Duration) float64 {
	t.Helper()
	c, err := tp.dial(t, s.port, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer func() {
		_ = c.(*net.TCPConn).SetLinger(0) // drop what is still queued
		c.Close()
	}()
	start := time.Now()
	_ = c.SetWriteDeadline(start.Add(d))
	go func() {
		buf := make([]byte, 32<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	addr := c.LocalAddr().String()
	time.Sleep(d)
	return float64(s.received(addr)) * 8 / time.Since(start).Seconds()
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

func requireMentions(t testing.TB, err error, field string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), field) {
		t.Fatalf("error = %v, want one naming %q", err, field)
	}
}
