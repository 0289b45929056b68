package load

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/valyala/fasthttp"

	"github.com/tempest-chaos/tempest/experiment"
)

// Defaults of a Load spec.
const (
	DefaultMaxInFlight = 1000
	DefaultTimeout     = 10 * time.Second
)

// idleConnTimeout closes a kept-alive connection unused this long.
const idleConnTimeout = 2 * time.Second

// sender sends requests with fasthttp, whose client costs a fraction of
// net/http's per request (no per-connection goroutines, no per-request
// allocations): that is what lets one generator keep up with wrk on the
// same cores. Every connection it opens is tracked, so abort can fail all
// in-flight requests at once.
type sender struct {
	client    *fasthttp.Client
	timeout   time.Duration
	keepAlive bool
	conns     connSet
}

// newSender returns the sender of one run; cancelling run fails dials and
// abort fails requests in flight.
func newSender(run context.Context, spec experiment.Load) *sender {
	maxInFlight := spec.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	timeout := spec.Timeout.D()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	s := &sender{timeout: timeout, keepAlive: spec.KeepAlive == nil || *spec.KeepAlive}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	s.client = &fasthttp.Client{
		Name:               "tempest",
		MaxConnsPerHost:    maxInFlight,
		MaxConnWaitTimeout: timeout,
		// Short, so that fasthttp's cleaner goroutines end soon after a
		// run, and below the usual server idle timeouts (5 s and up).
		MaxIdleConnDuration:           idleConnTimeout,
		DisablePathNormalizing:        true,
		RetryIfErr:                    retryOnce,
		DisableHeaderNamesNormalizing: true,
		Dial: func(addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(run, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return s.conns.add(conn), nil
		},
	}
	return s
}

// prepare writes tgt into req.
func (s *sender) prepare(tgt *vegeta.Target, req *fasthttp.Request) {
	req.Reset()
	req.Header.SetMethod(tgt.Method)
	req.SetRequestURI(tgt.URL)
	for name, values := range tgt.Header {
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if len(tgt.Body) > 0 {
		req.SetBodyRaw(tgt.Body)
	}
	if !s.keepAlive {
		req.SetConnectionClose()
	}
}

// maxRedirects is how many redirects a request follows, as net/http does.
const maxRedirects = 10

// send sends a prepared req, receiving into resp, and fills res the way
// vegeta's attacker would: Code, and Error for a transport failure or a
// status outside 200-399. res.Timestamp must be the send time. Redirects are
// followed (up to maxRedirects, within the one timeout), which rewrites req:
// send reports whether it did, so the caller prepares req again.
func (s *sender) send(req *fasthttp.Request, resp *fasthttp.Response, res *vegeta.Result) (rewritten bool) {
	deadline := res.Timestamp.Add(s.timeout)
	var err error
	for redirects := 0; ; redirects++ {
		resp.Reset()
		err = s.client.DoDeadline(req, resp, deadline)
		if err != nil || redirects == maxRedirects || !fasthttp.StatusCodeIsRedirect(resp.StatusCode()) {
			break
		}
		location := resp.Header.Peek(fasthttp.HeaderLocation)
		if len(location) == 0 {
			break
		}
		rewritten = true
		req.URI().UpdateBytes(location)
		code := resp.StatusCode()
		if code == fasthttp.StatusSeeOther || (string(req.Header.Method()) == fasthttp.MethodPost && code != fasthttp.StatusTemporaryRedirect && code != fasthttp.StatusPermanentRedirect) {
			req.Header.SetMethod(fasthttp.MethodGet)
			req.ResetBody()
			req.Header.SetContentLength(0)
			req.Header.Del(fasthttp.HeaderContentType)
		}
	}
	res.Latency = time.Since(res.Timestamp)
	if err != nil {
		res.Error = transportError(err)
		return rewritten
	}
	res.Code = uint16(resp.StatusCode())
	res.BytesIn = uint64(len(resp.Body()))
	res.BytesOut = uint64(len(req.Body()))
	if res.Code < 200 || res.Code >= 400 {
		res.Error = strconv.Itoa(int(res.Code)) + " " + fasthttp.StatusMessage(int(res.Code))
	}
	return rewritten
}

// retryOnce resends a GET, HEAD or PUT once when the server closed the
// connection before answering (a kept-alive connection it had just timed
// out, typically), as net/http does. fasthttp's default would try five
// times, so a target that hangs up would see five requests for each one
// counted.
func retryOnce(req *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	if attempts > 1 || !errors.Is(err, fasthttp.ErrConnectionClosed) {
		return false, false
	}
	switch string(req.Header.Method()) {
	case fasthttp.MethodGet, fasthttp.MethodHead, fasthttp.MethodPut:
		return false, true
	}
	return false, false
}

// transportError words fasthttp's failures the way errorKind reads them.
func transportError(err error) string {
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return "timeout: " + err.Error()
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return "EOF: " + err.Error()
	}
	return err.Error()
}

// abort fails every request in flight and every later dial.
func (s *sender) abort() { s.conns.closeAll() }

// close releases the kept-alive connections of a finished run, so a worker
// running many loads does not accumulate them.
func (s *sender) close() {
	s.client.CloseIdleConnections()
	s.conns.closeAll()
}

// connSet tracks open connections; after closeAll it closes new ones at once.
type connSet struct {
	mu     sync.Mutex
	open   map[*trackedConn]struct{}
	closed bool
}

func (c *connSet) add(conn net.Conn) net.Conn {
	t := &trackedConn{Conn: conn, set: c}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = conn.Close()
		return t
	}
	if c.open == nil {
		c.open = map[*trackedConn]struct{}{}
	}
	c.open[t] = struct{}{}
	return t
}

func (c *connSet) remove(t *trackedConn) {
	c.mu.Lock()
	delete(c.open, t)
	c.mu.Unlock()
}

func (c *connSet) closeAll() {
	c.mu.Lock()
	c.closed = true
	open := c.open
	c.open = nil
	c.mu.Unlock()
	for t := range open {
		_ = t.Conn.Close()
	}
}

// trackedConn leaves its set when closed.
type trackedConn struct {
	net.Conn
	set *connSet
}

func (t *trackedConn) Close() error {
	t.set.remove(t)
	return t.Conn.Close()
}
