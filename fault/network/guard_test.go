package network

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
)

func TestSelfCut(t *testing.T) {
	temporal := netip.MustParseAddr("10.1.2.3")
	local := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.1.0.9")}
	routes := func(a netip.Addr) string {
		if a.IsLoopback() {
			return "lo"
		}
		return "eth0"
	}
	for _, tc := range []struct {
		name string
		spec Spec
		ips  []netip.Addr
		cut  bool
	}{
		{"everything", Spec{Action: Partition}, nil, true},
		{"everything, known address", Spec{Action: Loss, Percent: 5}, []netip.Addr{temporal}, true},
		{"its port", Spec{Action: Partition, Destination: Endpoint{Ports: []int{7233}}}, []netip.Addr{temporal}, true},
		{"another port", Spec{Action: Partition, Destination: Endpoint{Ports: []int{5432}}}, []netip.Addr{temporal}, false},
		{"its subnet", Spec{Action: Partition, Destination: Endpoint{CIDRs: []string{"10.1.0.0/16"}}}, []netip.Addr{temporal}, true},
		{"another subnet", Spec{Action: Partition, Destination: Endpoint{CIDRs: []string{"10.2.0.0/16"}}}, []netip.Addr{temporal}, false},
		{"another subnet, unresolvable", Spec{Action: Partition, Destination: Endpoint{CIDRs: []string{"10.2.0.0/16"}}}, nil, true},
		{"udp only", Spec{Action: Partition, Protocol: UDP}, []netip.Addr{temporal}, false},
		{"a local port in the ephemeral range", Spec{Action: Partition, Source: Endpoint{Ports: []int{40000}}}, []netip.Addr{temporal}, true},
		{"a local server port", Spec{Action: Partition, Source: Endpoint{Ports: []int{8080}}}, []netip.Addr{temporal}, false},
		{"source not ours", Spec{Action: Partition, Source: Endpoint{CIDRs: []string{"192.168.0.0/16"}}}, []netip.Addr{temporal}, false},
		{"another interface", Spec{Action: Partition, Interface: "eth1"}, []netip.Addr{temporal}, false},
		{"its interface", Spec{Action: Partition, Interface: "eth0"}, []netip.Addr{temporal}, true},
		// Temporal on this host: its replies leave from local port 7233.
		{"local server, its port as source", Spec{Action: Partition, Source: Endpoint{Ports: []int{7233}}, Destination: Endpoint{CIDRs: []string{"127.0.0.0/8"}}},
			[]netip.Addr{netip.MustParseAddr("127.0.0.1")}, true},
		{"local server, other loopback port", Spec{Action: Partition, Destination: Endpoint{CIDRs: []string{"127.0.0.0/8"}, Ports: []int{8080}}},
			[]netip.Addr{netip.MustParseAddr("127.0.0.1")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.spec.compile()
			if err != nil {
				t.Fatal(err)
			}
			cut, why := selfCut(c, tc.ips, 7233, local, [2]uint16{32768, 60999}, routes)
			if cut != tc.cut {
				t.Errorf("selfCut = %v (%s), want %v", cut, why, tc.cut)
			}
		})
	}
}

// Inject refuses, in the worker's own namespace, a partition of the
// worker's Temporal port, and changes nothing. (Only refusals run on the
// host: an accepted one would cut the machine's traffic.)
func TestInjectRefusesSelfCut(t *testing.T) {
	requireRoot(t)
	d := &Driver{TemporalAddress: "127.0.0.1:7233"}
	ctx := within(t, time.Minute)
	for _, spec := range []Spec{
		{Action: Partition, Destination: Endpoint{Ports: []int{7233}}},
		{Action: Loss, Percent: 1},
	} {
		_, err := d.Inject(ctx, runID("run-guard"), "f", 1, spec)
		requireKind(t, err, errkind.Refused)
		requireMentions(t, err, "allowSelfCut")
	}
	found, err := d.Leftovers(ctx, Target{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range found {
		if l.Marker.Run == runID("run-guard") {
			t.Errorf("a refused inject left %s", l.Table)
		}
	}
	// In a namespace of its own the worker's connection is not at stake.
	tp := newTopo(t)
	st, err := d.Inject(ctx, runID("run-guard"), "f", 1, Spec{Action: Partition, Namespace: tp.client})
	if err != nil {
		t.Fatalf("Inject in another namespace: %v", err)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatal(err)
	}
}
