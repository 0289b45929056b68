package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/google/nftables"
	"github.com/rs/zerolog"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/fault/network/netnsid"
)

// dialTimeout bounds the embedded proxy's connect to the dependency.
const dialTimeout = 10 * time.Second

// watchEvery is how often an embedded proxy checks that its redirect
// table is still there; it stops itself when the table is gone (reverted
// by another worker, or by `tempest cleanup`).
const watchEvery = 5 * time.Second

// embedded is one injection's in-process proxy: a listener on loopback
// in the target's network namespace, Toxiproxy's toxic chain between
// each accepted connection and its own connection to the dependency,
// dialed in the same namespace with the driver's socket mark.
type embedded struct {
	table    string
	family   nftables.TableFamily
	ns       netnsid.Namespace
	h        netns.NsHandle // kept open while the proxy runs
	self     bool           // ns is the worker's own: no setns needed
	upstream netip.AddrPort
	mark     uint32

	listener *net.TCPListener
	proxy    *toxiproxy.Proxy
	server   *toxiproxy.ApiServer

	mu       sync.Mutex
	down     bool
	conns    map[*net.TCPConn]struct{}
	pruneAt  int
	stopped  bool
	done     chan struct{}
	loopDone chan struct{}
	onStop   func()
}

// listenPort is the port the redirect sends connections to.
func (e *embedded) listenPort() uint16 {
	return uint16(e.listener.Addr().(*net.TCPAddr).Port)
}

func (e *embedded) listenAddr() string { return e.listener.Addr().String() }

// startEmbedded opens the listener in the namespace (on 127.0.0.1 or
// ::1, where a redirect in the output hook sends) and starts accepting.
func startEmbedded(table string, ns netnsid.Namespace, h netns.NsHandle, dep netip.AddrPort, mark uint32) (*embedded, error) {
	e := &embedded{
		table: table, family: family(dep.Addr()), ns: ns, h: h, self: netnsid.IsSelf(ns),
		upstream: dep, mark: mark, conns: map[*net.TCPConn]struct{}{},
		done: make(chan struct{}), loopDone: make(chan struct{}),
	}
	loopback := "127.0.0.1:0"
	if dep.Addr().Is6() {
		loopback = "[::1]:0"
	}
	var l net.Listener
	err := e.inNamespace(func() (err error) {
		if lo, err := net.InterfaceByName("lo"); err == nil && lo.Flags&net.FlagUp == 0 {
			return syscall.EADDRNOTAVAIL // nothing reaches a listener on a loopback that is down
		}
		l, err = net.Listen("tcp", loopback)
		return err
	})
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		return nil, errkind.New(errkind.Refused, "dependency: the fault's proxy cannot listen on %s in %s, where the redirect sends connections: is the namespace's loopback up? (%v)", loopback, ns, err)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded proxy: listen on %s in %s: %w", loopback, ns, err)
	}
	e.listener = l.(*net.TCPListener)
	e.server = toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	e.proxy = toxiproxy.NewProxy(e.server, table, e.listenAddr(), dep.String())
	go e.acceptLoop()
	return e, nil
}

// setToxics replaces the proxy's toxics with ts (and its down flag):
// open links take the new chain at once.
func (e *embedded) setToxics(ctx context.Context, names []string, ts []wireToxic, down bool) error {
	e.proxy.Toxics.ResetToxics(ctx)
	for i, t := range ts {
		b, err := json.Marshal(struct {
			Name string `json:"name"`
			wireToxic
		}{names[i], t})
		if err != nil {
			return err
		}
		if _, err := e.proxy.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("toxics[%d]: %w", i, err)
		}
	}
	e.mu.Lock()
	e.down = down
	var cut []*net.TCPConn
	if down {
		for c := range e.conns {
			cut = append(cut, c)
		}
	}
	e.mu.Unlock()
	for _, c := range cut {
		_ = c.SetLinger(0)
		_ = c.Close()
	}
	return nil
}

func (e *embedded) acceptLoop() {
	defer close(e.loopDone)
	for {
		c, err := e.listener.AcceptTCP()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			select {
			case <-e.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like: do not spin
			continue
		}
		go e.serve(c)
	}
}

// serve connects one accepted client to the dependency through the toxics.
func (e *embedded) serve(client *net.TCPConn) {
	e.mu.Lock()
	down, stopped := e.down, e.stopped
	e.mu.Unlock()
	if down || stopped {
		_ = client.SetLinger(0) // a reset, as from a proxy that is down
		_ = client.Close()
		return
	}
	up, err := e.dial()
	if err != nil {
		_ = client.SetLinger(0) // the dependency refused: so does the proxy
		_ = client.Close()
		return
	}
	if !e.track(client, up) {
		_ = client.SetLinger(0)
		_ = client.Close()
		_ = up.Close()
		return
	}
	name := client.RemoteAddr().String()
	e.proxy.Toxics.StartLink(e.server, name+"upstream", client, up, stream.Upstream)
	e.proxy.Toxics.StartLink(e.server, name+"downstream", up, client, stream.Downstream)
}

// dial connects to the dependency from the target's namespace, with the
// mark the redirect excludes.
func (e *embedded) dial() (*net.TCPConn, error) {
	d := net.Dialer{Timeout: dialTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(e.mark))
		})
		return errors.Join(err, serr)
	}}
	var c net.Conn
	err := e.inNamespace(func() (err error) {
		c, err = d.Dial("tcp", e.upstream.String())
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// track records an open pair so stop can close it; it prunes closed
// pairs as the map doubles. It returns false once the proxy is stopped.
func (e *embedded) track(cs ...*net.TCPConn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return false
	}
	if len(e.conns) >= e.pruneAt {
		for c := range e.conns {
			if closed(c) {
				delete(e.conns, c)
			}
		}
		e.pruneAt = max(64, 2*len(e.conns))
	}
	for _, c := range cs {
		e.conns[c] = struct{}{}
	}
	return true
}

// closed reports whether c was closed (by a link that finished).
func closed(c *net.TCPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return true
	}
	return rc.Control(func(uintptr) {}) != nil
}

// stop closes the listener and every connection through the proxy, and
// waits for the accept loop; it is idempotent.
func (e *embedded) stop() {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return
	}
	e.stopped = true
	close(e.done)
	conns := e.conns
	e.conns = nil
	onStop := e.onStop
	e.mu.Unlock()
	_ = e.listener.Close()
	<-e.loopDone
	for c := range conns {
		_ = c.Close()
	}
	_ = e.h.Close()
	if onStop != nil {
		onStop()
	}
}

// watch stops the proxy when its table is gone from its namespace, or
// the namespace itself is; it returns when the proxy stops.
func (e *embedded) watch() {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		}
		conn, err := nftables.New(nftables.WithNetNSFd(int(e.h)))
		if err != nil {
			continue
		}
		exists, err := tableExists(conn, e.family, e.table)
		if err == nil && !exists {
			e.stop()
			return
		}
	}
}

// inNamespace runs f with the calling code's sockets made in the
// proxy's namespace: on a fresh goroutine locked to its OS thread, which
// enters the namespace and returns to the worker's; if it cannot return,
// the thread is not unlocked and so exits with the goroutine, never to
// run other code in the wrong namespace.
func (e *embedded) inNamespace(f func() error) error {
	if e.self {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("read this thread's network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(e.h); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter %s: %w", e.ns, err)
			return
		}
		errc <- f()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return <-errc
}
