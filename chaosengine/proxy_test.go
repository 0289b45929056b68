package chaosengine

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer echoes each line back.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// roundTrip sends a line and reads the echo within d.
func roundTrip(c net.Conn, r *bufio.Reader, d time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err == nil && line != "ping\n" {
		return errors.New("bad echo " + line)
	}
	return err
}

func TestProxyModes(t *testing.T) {
	p, err := NewProxy("127.0.0.1:0", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}

	c, r := dial()
	if err := roundTrip(c, r, time.Second); err != nil {
		t.Fatalf("pass: %v", err)
	}

	p.SetMode(ProxyBlackhole)
	if err := roundTrip(c, r, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("blackhole, open connection: %v, want a timeout (held, nothing forwarded)", err)
	}
	c2, r2 := dial()
	if err := roundTrip(c2, r2, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("blackhole, new connection: %v, want a timeout", err)
	}

	p.SetMode(ProxyPass)
	if err := roundTrip(c, r, time.Second); err == nil {
		t.Fatal("a connection held in the blackhole still works after it: want it closed")
	}
	c3, r3 := dial()
	if err := roundTrip(c3, r3, time.Second); err != nil {
		t.Fatalf("pass after blackhole: %v", err)
	}

	p.SetMode(ProxyReset)
	if err := roundTrip(c3, r3, time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("reset, open connection: %v, want it closed", err)
	}
	// A new connection is reset at once: on loopback the RST may even
	// reach the dial.
	if c4, err := net.Dial("tcp", p.Addr()); err == nil {
		if err := roundTrip(c4, bufio.NewReader(c4), time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("reset, new connection: %v, want it closed", err)
		}
		c4.Close()
	}

	p.SetMode(ProxyPass)
	c5, r5 := dial()
	if err := roundTrip(c5, r5, time.Second); err != nil {
		t.Fatalf("pass after reset: %v", err)
	}
}

// A client that goes away (a worker killed -9: its kernel closes the
// socket) must not leave the proxy's server-side connection open: the
// server would keep the dead worker's long polls and could hand them tasks.
func TestProxyClosesServerSideWhenClientGoes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	p, err := NewProxy("127.0.0.1:0", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	var s net.Conn
	select {
	case s = <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the proxy did not dial the server")
	}
	defer s.Close()
	// The client goes with unread data in its buffer: its kernel sends RST.
	if _, err := s.Write([]byte("task\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	c.Close()
	_ = s.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := s.Read(make([]byte, 16)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("server side after the client went: %v, want it closed", err)
	}
}
