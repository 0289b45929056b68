package network

import (
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/network/proxy"
)

const proxyKindSpec = `apiVersion: tempest.dev/v1
kind: Experiment
metadata: {name: net}
spec:
  faults:
    - name: slow-db
      duration: 10s
      network:
        action: proxy
        namespace: app
        proxy:
          dependency: 10.0.0.5:5432
          toxics:
            - {type: latency, latency: 100ms, jitter: 10ms}
  probes:
    - name: up
      mode: Continuous
      tcp: {address: "127.0.0.1:5432"}
`

func TestKindProxyDecodesAndNamesBadFields(t *testing.T) {
	exp, err := experiment.Decode("net.yaml", []byte(proxyKindSpec))
	if err != nil {
		t.Fatal(err)
	}
	s := exp.Spec.Faults[0].Block.(*Spec)
	if s.Action != Proxy || s.Proxy == nil || s.Proxy.Dependency != "10.0.0.5:5432" || s.Proxy.Toxics[0].Latency.D() != 100*time.Millisecond {
		t.Fatalf("decoded %+v", s)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"latency: 100ms, jitter: 10ms}", "latency: 100ms, stream: sideways}", `spec.faults[0].network.proxy.toxics[0].stream: "sideways" is not upstream or downstream`},
		{"latency: 100ms, jitter: 10ms}", "latency: -100ms}", `spec.faults[0].network.proxy.toxics[0].latency: -100ms is negative`},
		{"latency: 100ms, jitter: 10ms}", "latency: 1ms, toxicity: 1.5}", `spec.faults[0].network.proxy.toxics[0].toxicity: 1.5 is not in 0..1`},
		{"dependency: 10.0.0.5:5432", "dependency: 10.0.0.5:pg", `spec.faults[0].network.proxy.dependency: port "pg" is not a number in 1-65535`},
		{"action: proxy", "action: proxy\n        direction: egress", `spec.faults[0].network.direction: not for action proxy`},
		{"action: proxy", "action: loss\n        percent: 5", `spec.faults[0].network.proxy: only for action proxy`},
	} {
		_, err := experiment.Decode("net.yaml", []byte(strings.Replace(proxyKindSpec, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.to, err, tc.want)
		}
	}
}

// Action proxy end to end through the kind: 100 ms through the
// transparent proxy in the client's namespace, its revert, a revert
// without State, and a leftover found by run.
func TestKindProxyLatency(t *testing.T) {
	tp := newTopo(t)
	var l net.Listener
	var err error
	inNetns(t, tp.server, func() { l, err = net.Listen("tcp", serverIP+":7000") })
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
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	rtt := func() time.Duration {
		t.Helper()
		var times []time.Duration
		for range 5 {
			c, err := tp.dial(t, 7000, 5*time.Second)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			start := time.Now()
			if _, err := c.Write([]byte{1}); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
				t.Fatal(err)
			}
			times = append(times, time.Since(start))
			c.Close()
		}
		slices.Sort(times)
		return times[len(times)/2]
	}

	impl := Kind.New(fault.Env{})
	t.Cleanup(impl.(*Fault).Proxy.Close)
	spec := &Spec{Action: Proxy, Namespace: tp.client, Proxy: &proxy.Spec{Dependency: serverIP + ":7000",
		Toxics: []proxy.Toxic{{Type: proxy.Latency, Latency: experiment.Duration(100 * time.Millisecond)}}}}
	f := experiment.Fault{Name: "slow-db", Duration: experiment.Duration(time.Minute), Block: spec}
	ctx := within(t, time.Minute)
	targets, err := impl.Targets(ctx, f)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets = %+v, %v", targets, err)
	}
	run := fault.Run{WorkflowID: "tempest-proxy-" + strconv.Itoa(os.Getpid()), RunID: "0b7e-run"}
	req := fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}
	state, err := impl.Inject(ctx, req)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if got := rtt(); got < 100*time.Millisecond {
		t.Errorf("median round trip %v with 100ms latency", got)
	}
	if err := impl.Revert(ctx, req, state); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if got := rtt(); got > 50*time.Millisecond {
		t.Errorf("median round trip %v after Revert", got)
	}

	req.Injection = 2
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := impl.Revert(ctx, req, nil); err != nil {
		t.Fatalf("Revert without State: %v", err)
	}
	if got := rtt(); got > 50*time.Millisecond {
		t.Errorf("median round trip %v after the Revert without State", got)
	}

	req.Injection = 3
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	left, err := impl.(fault.Sweeper).Leftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mine []fault.Leftover
	for _, l := range left {
		if l.Run == run {
			mine = append(mine, l)
		}
	}
	if len(mine) != 1 || !strings.Contains(mine[0].What, `fault "slow-db", injection 3`) {
		t.Fatalf("leftovers of %v = %+v", run, mine)
	}
	if err := mine[0].Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rtt(); got > 50*time.Millisecond {
		t.Errorf("median round trip %v after the leftover's Remove", got)
	}
}
