package proxy

import (
	"net"
	"testing"
	"time"
)

// The proxy's added overhead at zero latency, side by side in one run:
// each iteration makes one exchange straight to the server (port 7001,
// not redirected) and one through the transparent proxy (port 7000,
// redirected, a latency toxic of 0 ms), from the client namespace over
// the veth pair, and reports both and their ratio:
//
//	go test -run '^$' -bench . ./fault/network/proxy/
//
// rtt: a 1-byte echo on an open connection; connect: dial, 1-byte echo,
// close (through the proxy, this adds its accept and its own dial from
// the namespace).

func benchTopo(b *testing.B) (tp topo, direct, proxied string) {
	tp = newTopo(b)
	startEcho(b, tp.server, serverIP, 7000)
	startEcho(b, tp.server, serverIP, 7001)
	proxied, direct = serverIP+":7000", serverIP+":7001"
	d := &Driver{}
	b.Cleanup(d.Close)
	ctx := within(b, time.Minute)
	st, err := d.Inject(ctx, "bench", "zero", 1, Spec{Dependency: proxied, Namespace: tp.client, Toxics: []Toxic{{Type: Latency}}})
	if err != nil {
		b.Fatalf("Inject: %v", err)
	}
	b.Cleanup(func() { _ = d.Revert(ctx, st) })
	return tp, direct, proxied
}

func report(b *testing.B, direct, proxied time.Duration) {
	n := float64(b.N)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(direct.Microseconds())/n, "direct-µs/op")
	b.ReportMetric(float64(proxied.Microseconds())/n, "proxy-µs/op")
	if direct > 0 {
		b.ReportMetric(float64(proxied)/float64(direct), "ratio")
	}
}

func BenchmarkProxyOverhead(b *testing.B) {
	b.Run("rtt", func(b *testing.B) {
		tp, direct, proxied := benchTopo(b)
		dc, err := dial(b, tp.client, direct, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		defer dc.Close()
		pc, err := dial(b, tp.client, proxied, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		defer pc.Close()
		var dt, pt time.Duration
		b.ResetTimer()
		for range b.N {
			for _, x := range []struct {
				c   net.Conn
				sum *time.Duration
			}{{dc, &dt}, {pc, &pt}} {
				rtt, err := roundTrip(x.c)
				if err != nil {
					b.Fatal(err)
				}
				*x.sum += rtt
			}
		}
		report(b, dt, pt)
	})
	b.Run("connect", func(b *testing.B) {
		tp, direct, proxied := benchTopo(b)
		var dt, pt time.Duration
		b.ResetTimer()
		for range b.N {
			for _, x := range []struct {
				addr string
				sum  *time.Duration
			}{{direct, &dt}, {proxied, &pt}} {
				start := time.Now()
				c, err := dial(b, tp.client, x.addr, 5*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := roundTrip(c); err != nil {
					b.Fatal(err)
				}
				*x.sum += time.Since(start)
				c.Close()
			}
		}
		report(b, dt, pt)
	})
}
