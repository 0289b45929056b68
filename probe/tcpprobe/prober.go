package tcpprobe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe"
)

// maxReply is how much of a reply is read while looking for expect.
const maxReply = 64 << 10

var _ probe.Prober = (*Prober)(nil)

// Prober observes tcp probes.
type Prober struct {
	dialer net.Dialer
}

// New returns a Prober.
func New() *Prober { return &Prober{} }

// Observe connects once and judges the exchange.
func (pr *Prober) Observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error) {
	if err := Validate(p); err != nil {
		return experiment.Observation{}, err
	}
	spec := p.TCP

	start := time.Now()
	obs := experiment.Observation{At: start}
	fail := func(stage string, err error) (experiment.Observation, error) {
		obs.Took = time.Since(start)
		obs.Detail = describe(ctx, stage, obs.Took, err)
		return obs, nil
	}
	conn, err := pr.dialer.DialContext(ctx, "tcp", spec.Address)
	if err != nil {
		return fail("connect", err)
	}
	defer conn.Close()
	// Reads and writes honour the ctx deadline (and its cancellation).
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	if spec.Send != "" {
		if _, err := io.WriteString(conn, spec.Send); err != nil {
			return fail("send", err)
		}
	}
	if spec.Expect == "" {
		obs.Took = time.Since(start)
		obs.Passed = true
		obs.Value = "connected"
		return obs, nil
	}

	reply, found, err := readUntil(conn, []byte(spec.Expect))
	obs.Took = time.Since(start)
	obs.Value = "reply " + snippet(reply)
	if found {
		obs.Passed = true
		return obs, nil
	}
	why := "peer closed"
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		why = describe(ctx, "read", obs.Took, err)
	case len(reply) >= maxReply:
		why = fmt.Sprintf("read %d bytes", len(reply))
	}
	obs.Detail = fmt.Sprintf("reply does not contain %q (%s; reply: %s)", spec.Expect, why, snippet(reply))
	return obs, nil
}

// readUntil reads until the reply contains want, the peer closes, maxReply
// bytes arrive or a read fails.
func readUntil(conn net.Conn, want []byte) (reply []byte, found bool, err error) {
	buf := make([]byte, 4096)
	for len(reply) < maxReply {
		n, err := conn.Read(buf)
		reply = append(reply, buf[:n]...)
		if bytes.Contains(reply, want) {
			return reply, true, nil
		}
		if err != nil {
			return reply, false, err
		}
	}
	return reply, false, nil
}

func describe(ctx context.Context, stage string, took time.Duration, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("%s timed out after %v", stage, took.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: %v", stage, err)
}

func snippet(b []byte) string {
	const max = 200
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}

// Validate reports why p's tcp block cannot run (errkind.InvalidSpec, naming
// the field: "probe NAME: tcp.address ..."), without connecting.
func Validate(p experiment.Probe) error {
	if p.TCP == nil {
		return errkind.New(errkind.InvalidSpec, "probe %s: tcp block missing", p.Name)
	}
	if _, port, err := net.SplitHostPort(p.TCP.Address); err != nil || port == "" {
		return errkind.New(errkind.InvalidSpec, "probe %s: tcp.address %q: want host:port", p.Name, p.TCP.Address)
	}
	return nil
}
