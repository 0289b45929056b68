package tcpprobe_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe/tcpprobe"
)

// serve runs a line server on 127.0.0.1: each line gets handle's answer.
func serve(t *testing.T, handle func(line string) (reply string, hang bool)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err != nil {
					return
				}
				reply, hang := handle(strings.TrimSpace(line))
				if hang {
					_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, _ = conn.Read(make([]byte, 1))
					return
				}
				_, _ = conn.Write([]byte(reply))
			}()
		}
	}()
	return ln.Addr().String()
}

func tcpProbe(s experiment.TCPProbe) experiment.Probe {
	return experiment.Probe{Name: "broker", Mode: experiment.ModeEOT, TCP: &s}
}

func observe(t *testing.T, p experiment.Probe, timeout time.Duration) experiment.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	obs, err := tcpprobe.New().Observe(ctx, p)
	if err != nil {
		t.Fatalf("Observe: unexpected error %v", err)
	}
	return obs
}

func redisLike(line string) (string, bool) {
	switch line {
	case "PING":
		return "+PONG\r\n", false
	case "SLOW":
		return "", true
	default:
		return "-ERR unknown\r\n", false
	}
}

func TestConnectSendExpect(t *testing.T) {
	addr := serve(t, redisLike)
	if obs := observe(t, tcpProbe(experiment.TCPProbe{Address: addr}), 5*time.Second); !obs.Passed || obs.Value != "connected" {
		t.Fatalf("connect only: %+v", obs)
	}
	if obs := observe(t, tcpProbe(experiment.TCPProbe{Address: addr, Send: "PING\r\n", Expect: "PONG"}), 5*time.Second); !obs.Passed {
		t.Fatalf("PING/PONG: %+v", obs)
	}
	obs := observe(t, tcpProbe(experiment.TCPProbe{Address: addr, Send: "HELLO\r\n", Expect: "PONG"}), 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, `reply does not contain "PONG" (peer closed; reply: "-ERR unknown\r\n")`) {
		t.Fatalf("wrong reply must fail showing it: %+v", obs)
	}
}

func TestTimeoutAndDownAreFailedObservations(t *testing.T) {
	addr := serve(t, redisLike)
	start := time.Now()
	obs := observe(t, tcpProbe(experiment.TCPProbe{Address: addr, Send: "SLOW\n", Expect: "PONG"}), 300*time.Millisecond)
	if obs.Passed || !strings.Contains(obs.Detail, "read timed out after") {
		t.Fatalf("silent peer: want a timed-out failure, got %+v", obs)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("observation outlived its deadline: %v", took)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	obs = observe(t, tcpProbe(experiment.TCPProbe{Address: down}), 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, "connection refused") {
		t.Fatalf("closed port: want refused, got %+v", obs)
	}
}

func TestBadAddressIsInvalidSpec(t *testing.T) {
	for _, p := range []experiment.Probe{{Name: "p"}, tcpProbe(experiment.TCPProbe{Address: "localhost"})} {
		_, err := tcpprobe.New().Observe(t.Context(), p)
		if verr := tcpprobe.Validate(p); verr == nil || verr.Error() != err.Error() {
			t.Fatalf("Validate = %v, want the error Observe gives (%v)", verr, err)
		}
		if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec {
			t.Fatalf("want InvalidSpec, got %v", err)
		}
	}
}
