package chaosengine

import (
	"fmt"
	"io"
	"net"
	"sync"
)

// ProxyMode is what the proxy does with the workers' connections.
type ProxyMode string

// The proxy's modes.
const (
	// ProxyPass forwards every byte both ways.
	ProxyPass ProxyMode = "pass"
	// ProxyBlackhole accepts and holds connections but forwards nothing:
	// a network partition that looks like a hung server.
	ProxyBlackhole ProxyMode = "blackhole"
	// ProxyReset closes every connection, and each new one at once.
	ProxyReset ProxyMode = "reset"
)

// Proxy is a TCP proxy between the workers and the Temporal frontend.
//
// Contract: in pass mode it forwards; switching to blackhole stops
// forwarding on every open connection (they stay open, bytes read are
// dropped) and holds new ones without dialing upstream; switching to reset
// closes every connection (with RST) and closes new ones on accept.
// Switching back to pass closes the connections that were held in a
// blackhole (their streams lost bytes), so clients reconnect.
type Proxy struct {
	upstream string
	l        net.Listener

	mu    sync.Mutex
	mode  ProxyMode
	conns map[*proxyConn]struct{}
	wg    sync.WaitGroup
}

type proxyConn struct {
	client, server net.Conn // server is nil while held in a blackhole
	holed          bool     // held or drained in a blackhole at some point
	once           sync.Once
}

func (pc *proxyConn) close(rst bool) {
	pc.once.Do(func() {
		for _, c := range []net.Conn{pc.client, pc.server} {
			if c == nil {
				continue
			}
			if tc, ok := c.(*net.TCPConn); ok && rst {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
	})
}

// NewProxy listens on listen (host:port, port 0 for a free one) and
// forwards to upstream.
func NewProxy(listen, upstream string) (*Proxy, error) {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	p := &Proxy{upstream: upstream, l: l, mode: ProxyPass, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is where workers dial.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Mode is the current mode.
func (p *Proxy) Mode() ProxyMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// SetMode switches the mode (see the type's contract).
func (p *Proxy) SetMode(m ProxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for pc := range p.conns {
		switch m {
		case ProxyReset:
			pc.close(true)
			delete(p.conns, pc)
		case ProxyBlackhole:
			pc.holed = true
		case ProxyPass:
			if pc.holed {
				pc.close(true)
				delete(p.conns, pc)
			}
		}
	}
}

// Close stops listening and closes every connection.
func (p *Proxy) Close() error {
	err := p.l.Close()
	p.mu.Lock()
	for pc := range p.conns {
		pc.close(false)
		delete(p.conns, pc)
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		pc := &proxyConn{client: c}
		switch mode {
		case ProxyReset:
			p.mu.Unlock()
			pc.close(true)
			continue
		case ProxyBlackhole:
			pc.holed = true
			p.conns[pc] = struct{}{}
			p.mu.Unlock()
			go p.drain(pc)
			continue
		}
		p.conns[pc] = struct{}{}
		p.mu.Unlock()
		go p.dial(pc)
	}
}

// drain reads and drops what a held client sends until it is closed.
func (p *Proxy) drain(pc *proxyConn) {
	_, _ = io.Copy(io.Discard, pc.client)
	p.forget(pc)
}

func (p *Proxy) dial(pc *proxyConn) {
	s, err := net.Dial("tcp", p.upstream)
	if err != nil {
		p.forget(pc)
		pc.close(true)
		return
	}
	p.mu.Lock()
	if _, ok := p.conns[pc]; !ok { // reset while dialing
		p.mu.Unlock()
		_ = s.Close()
		return
	}
	pc.server = s
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.pipe(pc, s, pc.client); done <- struct{}{} }()
	go func() { p.pipe(pc, pc.client, s); done <- struct{}{} }()
	<-done
	// One direction ended: end both, unless the connection is held in a
	// blackhole (then it stays open until the client or SetMode closes it).
	p.mu.Lock()
	holed := pc.holed
	p.mu.Unlock()
	if holed {
		<-done
	}
	p.forget(pc)
	pc.close(false)
}

// pipe copies src to dst, dropping the bytes while pc is held in a
// blackhole.
func (p *Proxy) pipe(pc *proxyConn, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			holed := pc.holed
			p.mu.Unlock()
			if !holed {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) forget(pc *proxyConn) {
	p.mu.Lock()
	delete(p.conns, pc)
	p.mu.Unlock()
}
