package network

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/tempest-chaos/tempest/errkind"
)

// tempestTables lists the Tempest tables in namespace name.
func tempestTables(t *testing.T, name string) []string {
	t.Helper()
	found, err := (&Driver{}).Leftovers(within(t, 10*time.Second), Target{Name: name})
	if err != nil {
		t.Fatalf("Leftovers: %v", err)
	}
	var out []string
	for _, l := range found {
		out = append(out, l.Table)
	}
	return out
}

// A partition of one port leaves another working, in each direction:
// egress drops the client's SYNs, ingress the server's replies (the
// remote end is the packet's source there).
func TestPartitionOnePortLeavesAnotherWorking(t *testing.T) {
	tp := newTopo(t)
	tp.tcpServer(t, 8081)
	tp.tcpServer(t, 8082)
	if !tp.connects(t, 8081) || !tp.connects(t, 8082) {
		t.Fatal("baseline: the servers do not answer")
	}
	d := &Driver{}
	ctx := within(t, time.Minute)
	for i, tc := range []struct {
		direction     Direction
		chains, rules int
	}{
		// 2 CIDRs x tcp, udp per direction, plus an action each and the marker
		{Both, 5, 2*4 + 2 + 1},
		{Egress, 3, 4 + 1 + 1},
		{Ingress, 3, 4 + 1 + 1},
	} {
		t.Run(string(tc.direction), func(t *testing.T) {
			spec := Spec{Action: Partition, Direction: tc.direction, Namespace: tp.client, Destination: Endpoint{
				CIDRs: []string{"10.99.0.0/24", "fd00:99::/64"}, Ports: []int{8081}}}
			st, err := d.Inject(ctx, runID("run-partition"), "cut", i, spec)
			if err != nil {
				t.Fatalf("Inject: %v", err)
			}
			// In effect when Inject returns: the very first probe is cut.
			if !tp.cut(t, 8081) {
				t.Error("port 8081 still connects during the partition")
			}
			if !tp.connects(t, 8082) {
				t.Error("port 8082 is cut too; only 8081 should be")
			}
			if st.Table != TableName(runID("run-partition"), "cut", i) || len(st.Chains) != tc.chains || len(st.Rules) != tc.rules {
				t.Errorf("state = %+v, want its table, %d chains and %d rules", st, tc.chains, tc.rules)
			}
			for _, r := range st.Rules {
				if r.Handle == 0 {
					t.Errorf("rule %+v recorded without its handle", r)
				}
			}
			if err := d.Revert(ctx, st); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			if !tp.connects(t, 8081) {
				t.Error("port 8081 still cut after Revert")
			}
			if err := d.Revert(ctx, st); err != nil {
				t.Fatalf("second Revert: %v", err)
			}
			if got := tempestTables(t, tp.client); len(got) != 0 {
				t.Errorf("tables left after Revert: %v", got)
			}
		})
	}
}

// A partition by pid, ingress only, on the server's own port (its Source
// end): new connections to 8081 are cut, 8082 is not.
func TestPartitionByPIDIngress(t *testing.T) {
	tp := newTopo(t)
	tp.tcpServer(t, 8081)
	tp.tcpServer(t, 8082)
	var cmd *exec.Cmd
	var err error
	inNetns(t, tp.server, func() {
		cmd = exec.Command("sleep", "120")
		err = cmd.Start()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	d := &Driver{}
	ctx := within(t, time.Minute)
	st, err := d.Inject(ctx, runID("run-pid"), "cut", 1, Spec{Action: Partition, PID: cmd.Process.Pid, Direction: Ingress,
		Protocol: TCP, Source: Endpoint{Ports: []int{8081}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if st.Namespace.PID != cmd.Process.Pid || st.Namespace.Inode == 0 {
		t.Errorf("namespace = %+v", st.Namespace)
	}
	if got := tempestTables(t, tp.server); len(got) != 1 || got[0] != st.Table {
		t.Errorf("tables in the server namespace = %v, want [%s]", got, st.Table)
	}
	if !tp.cut(t, 8081) {
		t.Error("8081 connects during the partition")
	}
	if !tp.connects(t, 8082) {
		t.Error("8082 is cut too")
	}
	// The process is gone, its namespace is not: Revert finds it by identity.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if !tp.connects(t, 8081) {
		t.Error("8081 still cut after Revert")
	}
	if got := tempestTables(t, tp.server); len(got) != 0 {
		t.Errorf("tables left: %v", got)
	}
}

func TestLossDropsAboutThePercent(t *testing.T) {
	tp := newTopo(t)
	const n = 400
	if got := tp.udpDelivered(t, 9000, n); got < n*99/100 {
		t.Fatalf("baseline: %d of %d datagrams delivered", got, n)
	}
	d := &Driver{}
	ctx := within(t, time.Minute)
	st, err := d.Inject(ctx, runID("run-loss"), "loss", 1, Spec{Action: Loss, Percent: 30, Direction: Egress,
		Namespace: tp.client, Protocol: UDP, Destination: Endpoint{CIDRs: []string{serverIP + "/32"}, Ports: []int{9000}}})
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	got := tp.udpDelivered(t, 9000, n)
	lost := float64(n-got) / n * 100
	t.Logf("loss 30%%: %d of %d delivered, %.1f%% lost", got, n, lost)
	if lost < 15 || lost > 45 {
		t.Errorf("lost %.1f%%, want 15-45%% for 30%%", lost)
	}
	if other := tp.udpDelivered(t, 9001, 100); other < 99 {
		t.Errorf("port 9001 lost packets too: %d of 100 delivered", other)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if got := tp.udpDelivered(t, 9000, n); got < n*99/100 {
		t.Errorf("after Revert: %d of %d delivered", got, n)
	}
}

func TestBandwidthCapsTheRate(t *testing.T) {
	for _, shaper := range []Shaper{Nftables, TBF} {
		t.Run(string(shaper), func(t *testing.T) {
			tp := newTopo(t)
			srv := tp.tcpServer(t, 8090)
			base := tp.throughput(t, srv, 500*time.Millisecond)
			if base < 20e6 {
				t.Fatalf("baseline %.1f Mbit/s: too slow to show a 1 Mbit/s cap", base/1e6)
			}
			spec := Spec{Action: Bandwidth, Rate: "1mbit", Shaper: shaper, Namespace: tp.client, Direction: Egress}
			if shaper == TBF {
				spec.Interface = "eth0"
			} else {
				spec.Destination.Ports = []int{8090}
			}
			d := &Driver{}
			ctx := within(t, time.Minute)
			st, err := d.Inject(ctx, runID("run-bw"), "slow", 1, spec)
			if err != nil {
				t.Fatalf("Inject: %v", err)
			}
			capped := tp.throughput(t, srv, 3*time.Second)
			t.Logf("%s: baseline %.1f Mbit/s, capped at 1mbit: %.2f Mbit/s", shaper, base/1e6, capped/1e6)
			if capped > 2e6 || capped < 0.3e6 {
				t.Errorf("capped rate %.2f Mbit/s, want 0.3-2 for a 1mbit cap", capped/1e6)
			}
			if err := d.Revert(ctx, st); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			if after := tp.throughput(t, srv, 500*time.Millisecond); after < 20e6 {
				t.Errorf("after Revert %.1f Mbit/s, want the baseline back", after/1e6)
			}
			if err := d.Revert(ctx, st); err != nil {
				t.Fatalf("second Revert: %v", err)
			}
		})
	}
}

// An operator's own nftables table and root qdisc survive inject and
// revert; tbf refuses to replace the qdisc, naming it.
func TestOperatorObjectsSurvive(t *testing.T) {
	tp := newTopo(t)
	tp.tcpServer(t, 8081)
	h, err := netns.GetFromName(tp.client)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	conn, err := nftables.New(nftables.WithNetNSFd(int(h)))
	if err != nil {
		t.Fatal(err)
	}
	op := conn.AddTable(&nftables.Table{Name: "operator", Family: nftables.TableFamilyINet})
	accept := nftables.ChainPolicyAccept
	ch := conn.AddChain(&nftables.Chain{Name: "input", Table: op, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	conn.AddRule(&nftables.Rule{Table: op, Chain: ch, Exprs: []expr.Any{&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictAccept}}})
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	link, err := nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	htb := netlink.NewHtb(netlink.QdiscAttrs{LinkIndex: link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT})
	if err := nl.QdiscAdd(htb); err != nil {
		t.Fatal(err)
	}
	operatorIntact := func(when string) {
		t.Helper()
		rules, err := conn.GetRules(op, ch)
		if err != nil || len(rules) != 1 {
			t.Errorf("%s: operator's rules = %d, %v; want its one rule", when, len(rules), err)
		}
		qs, err := nl.QdiscList(link)
		found := false
		for _, q := range qs {
			if q.Type() == "htb" && q.Attrs().Handle == netlink.MakeHandle(1, 0) && q.Attrs().Parent == netlink.HANDLE_ROOT {
				found = true
			}
		}
		if err != nil || !found {
			t.Errorf("%s: operator's htb 1: root qdisc gone (%v)", when, err)
		}
	}

	d := &Driver{}
	ctx := within(t, time.Minute)
	_, err = d.Inject(ctx, runID("run-op"), "tbf", 1, Spec{Action: Bandwidth, Rate: "1mbit", Shaper: TBF, Interface: "eth0", Namespace: tp.client})
	requireKind(t, err, errkind.Refused)
	if !strings.Contains(err.Error(), "htb 1:") {
		t.Errorf("refusal %q does not name the operator's qdisc", err)
	}
	if got := tempestTables(t, tp.client); len(got) != 0 {
		t.Errorf("a refused inject left tables: %v", got)
	}
	operatorIntact("after the refused tbf")

	var states []State
	for i, spec := range []Spec{
		{Action: Partition, Namespace: tp.client, Destination: Endpoint{Ports: []int{8081}}},
		{Action: Bandwidth, Rate: "10mbit", Interface: "eth0", Namespace: tp.client},
		{Action: Loss, Percent: 50, Namespace: tp.client},
	} {
		st, err := d.Inject(ctx, runID("run-op"), "f", i+1, spec)
		if err != nil {
			t.Fatalf("Inject %s: %v", spec.Action, err)
		}
		states = append(states, st)
	}
	operatorIntact("after the injects")
	if !tp.cut(t, 8081) {
		t.Error("the partition has no effect next to the operator's accept rule")
	}
	for _, st := range states {
		if err := d.Revert(ctx, st); err != nil {
			t.Fatalf("Revert: %v", err)
		}
	}
	operatorIntact("after the reverts")
	if !tp.connects(t, 8081) {
		t.Error("8081 still cut after the reverts")
	}
}

// Injecting the same run, fault and injection twice replaces its table;
// one revert removes it.
func TestInjectTwiceIsOneInjection(t *testing.T) {
	tp := newTopo(t)
	d := &Driver{}
	ctx := within(t, time.Minute)
	spec := Spec{Action: Loss, Percent: 10, Namespace: tp.client}
	st1, err := d.Inject(ctx, runID("run-twice"), "f", 1, spec)
	if err != nil {
		t.Fatal(err)
	}
	st2, err := d.Inject(ctx, runID("run-twice"), "f", 1, spec)
	if err != nil {
		t.Fatalf("second Inject: %v", err)
	}
	if st1.Table != st2.Table {
		t.Errorf("tables %s and %s, want one", st1.Table, st2.Table)
	}
	if got := tempestTables(t, tp.client); len(got) != 1 {
		t.Errorf("tables = %v, want one", got)
	}
	if err := d.Revert(ctx, st1); err != nil {
		t.Fatal(err)
	}
	if got := tempestTables(t, tp.client); len(got) != 0 {
		t.Errorf("tables after Revert = %v", got)
	}
}

// Revert of a state whose namespace is gone succeeds, and so does the
// zero State, and a state that round-trips through EncodeState.
func TestRevertWhatIsGone(t *testing.T) {
	tp := newTopo(t)
	d := &Driver{}
	ctx := within(t, time.Minute)
	st, err := d.Inject(ctx, runID("run-gone"), "f", 1, Spec{Action: Partition, Namespace: tp.client})
	if err != nil {
		t.Fatal(err)
	}
	m, err := EncodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeState(m)
	if err != nil || back.Table != st.Table || back.Namespace != st.Namespace {
		t.Fatalf("DecodeState = %+v, %v", back, err)
	}
	if err := netns.DeleteNamed(tp.client); err != nil {
		t.Fatal(err)
	}
	if err := d.Revert(ctx, back); err != nil {
		t.Errorf("Revert in a deleted namespace: %v", err)
	}
	if err := d.Revert(ctx, State{}); err != nil {
		t.Errorf("Revert of the zero State: %v", err)
	}
}

func TestInjectNamesTheMissingThing(t *testing.T) {
	requireRoot(t)
	tp := newTopo(t)
	d := &Driver{}
	ctx := within(t, time.Minute)
	for _, tc := range []struct {
		spec        Spec
		kind, field string
	}{
		{Spec{Action: Partition, Namespace: "tempest-no-such-ns"}, errkind.UnknownTarget, "namespace"},
		{Spec{Action: Partition, PID: 1 << 30}, errkind.UnknownTarget, "pid"},
		{Spec{Action: Partition, Namespace: tp.client, Interface: "nosuch0"}, errkind.UnknownTarget, "interface"},
		{Spec{Action: Loss, Percent: 130, Namespace: tp.client}, errkind.InvalidSpec, "percent"},
	} {
		_, err := d.Inject(ctx, runID("run-bad"), "f", 1, tc.spec)
		requireKind(t, err, tc.kind)
		requireMentions(t, err, tc.field)
	}
	if got := tempestTables(t, tp.client); len(got) != 0 {
		t.Errorf("failed injects left tables: %v", got)
	}
}
