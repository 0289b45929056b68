package load

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// Defaults of a Load spec.
const (
	DefaultMaxInFlight = 1000
	DefaultTimeout     = 10 * time.Second
)

// newClient returns the HTTP client of a run: every request is bound to run
// (cancelling it aborts all in-flight requests) and to the spec's timeout.
func newClient(run context.Context, spec experiment.Load) *http.Client {
	maxInFlight := spec.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	timeout := spec.Timeout.D()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	keepAlive := spec.KeepAlive == nil || *spec.KeepAlive
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        maxInFlight,
		MaxIdleConnsPerHost: maxInFlight,
		MaxConnsPerHost:     maxInFlight,
		IdleConnTimeout:     90 * time.Second,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
	}
	return &http.Client{Transport: boundTransport{run: run, timeout: timeout, next: transport}}
}

// boundTransport gives every request a context derived from the run's, with
// the per-request timeout; the context lives until the body is closed.
type boundTransport struct {
	run     context.Context
	timeout time.Duration
	next    http.RoundTripper
}

func (b boundTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(b.run, b.timeout)
	resp, err := b.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// CloseIdleConnections closes the kept-alive connections of a finished run,
// so a worker running many loads does not accumulate them.
func (b boundTransport) CloseIdleConnections() {
	if c, ok := b.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// cancelOnClose releases a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
