package network

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The benchmarks compare Inject (and Revert) with the bare netlink calls
// that make the same effect, side by side: run
//
//	go test -run '^$' -bench . ./fault/network/
//
// and divide. Inject-to-effect is measured to the first UDP datagram the
// kernel refuses (an egress drop fails the send with EPERM), so both
// sides pay the same probe.

// probeBlocked sends from a connected UDP socket in the client namespace
// until a send fails with EPERM (the egress drop is in effect).
func probeBlocked(b *testing.B, c net.Conn) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := c.Write([]byte("x")); errors.Is(err, os.ErrPermission) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("no drop within 5s")
		}
	}
}

func benchSetup(b *testing.B) (topo, net.Conn, netns.NsHandle) {
	tp := newTopo(b)
	var c net.Conn
	var err error
	inNetns(b, tp.client, func() { c, err = net.Dial("udp", net.JoinHostPort(serverIP, "9999")) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	h, err := netns.GetFromName(tp.client)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return tp, c, h
}

// benchSpec is the partition both sides of the benchmarks add.
func benchSpec(tp topo) Spec {
	return Spec{Action: Partition, Direction: Egress, Namespace: tp.client, Protocol: UDP, Destination: Endpoint{Ports: []int{9999}}}
}

// addBare adds the very table Inject would, in one batch: no namespace
// check, no listing, no read-back.
func addBare(b *testing.B, conn *nftables.Conn, spec Spec) *nftables.Table {
	c, err := spec.compile()
	if err != nil {
		b.Fatal(err)
	}
	mb, _ := Marker{Run: "bench", Fault: "f", Injection: 1}.encode()
	t, chains, rules := plan(c, "bare", mb)
	conn.AddTable(t)
	for _, ch := range chains {
		conn.AddChain(ch)
	}
	for _, r := range rules {
		conn.AddRule(&nftables.Rule{Table: t, Chain: r.chain, Exprs: r.exprs, UserData: r.udata})
	}
	if err := conn.Flush(); err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkPartitionBare: the same table in one nftables batch, then
// the probe.
func BenchmarkPartitionBare(b *testing.B) {
	requireRoot(b)
	tp, c, h := benchSetup(b)
	conn, err := nftables.New(nftables.WithNetNSFd(int(h)), nftables.AsLasting())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseLasting()
	for b.Loop() {
		t := addBare(b, conn, benchSpec(tp))
		probeBlocked(b, c)
		b.StopTimer()
		conn.DelTable(t)
		if err := conn.Flush(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkPartitionInject: Driver.Inject of the same partition (by
// namespace name: open it, check it, list tables, one batch with the
// marker and both protocols, read the handles back), then the probe.
func BenchmarkPartitionInject(b *testing.B) {
	requireRoot(b)
	tp, c, _ := benchSetup(b)
	d := &Driver{}
	spec := benchSpec(tp)
	for b.Loop() {
		st, err := d.Inject(b.Context(), "bench", "f", 1, spec)
		if err != nil {
			b.Fatal(err)
		}
		probeBlocked(b, c)
		b.StopTimer()
		if err := d.Revert(b.Context(), st); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkRevertBare and BenchmarkRevertDriver compare deleting the
// same table (unhooking its chain waits for an RCU grace period) with
// Revert (find the namespace by identity, list the tables, delete).
func BenchmarkRevertBare(b *testing.B) {
	requireRoot(b)
	tp, _, h := benchSetup(b)
	conn, err := nftables.New(nftables.WithNetNSFd(int(h)), nftables.AsLasting())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseLasting()
	for b.Loop() {
		b.StopTimer()
		t := addBare(b, conn, benchSpec(tp))
		b.StartTimer()
		conn.DelTable(t)
		if err := conn.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRevertDriver(b *testing.B) {
	requireRoot(b)
	tp, _, _ := benchSetup(b)
	d := &Driver{}
	spec := benchSpec(tp)
	for b.Loop() {
		b.StopTimer()
		st, err := d.Inject(b.Context(), "bench", "f", 1, spec)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := d.Revert(b.Context(), st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTBFBare and BenchmarkTBFInject compare adding a tbf root qdisc
// (in effect once the kernel acknowledges it) with Inject of shaper tbf
// (which also checks the root qdisc and adds the marker table).
func BenchmarkTBFBare(b *testing.B) {
	requireRoot(b)
	_, _, h := benchSetup(b)
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		b.Fatal(err)
	}
	defer nl.Close()
	link, err := nl.LinkByName("eth0")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		q := &netlink.Tbf{QdiscAttrs: netlink.QdiscAttrs{LinkIndex: link.Attrs().Index, Handle: netlink.MakeHandle(0x1234, 0), Parent: netlink.HANDLE_ROOT},
			Rate: 125000, Limit: 125000/20 + minBurst, Buffer: netlink.Xmittime(125000, minBurst)}
		if err := nl.QdiscAdd(q); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := nl.QdiscDel(q); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func BenchmarkTBFInject(b *testing.B) {
	requireRoot(b)
	tp, _, _ := benchSetup(b)
	d := &Driver{}
	spec := Spec{Action: Bandwidth, Rate: "1mbit", Shaper: TBF, Interface: "eth0", Namespace: tp.client}
	for b.Loop() {
		st, err := d.Inject(b.Context(), "bench", "f", 1, spec)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := d.Revert(b.Context(), st); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
