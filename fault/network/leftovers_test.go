package network

import (
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// A worker that crashed after Inject leaves its table (and qdisc) behind
// with no State anywhere: Leftovers finds them by their marker, and
// CleanupRun removes that run's and nothing else.
func TestLeftoversAfterACrash(t *testing.T) {
	tp := newTopo(t)
	tp.tcpServer(t, 8081)
	d := &Driver{}
	ctx := within(t, time.Minute)
	// "Crash": the states are dropped on the floor.
	if _, err := d.Inject(ctx, runID("run-crashed"), "cut", 3, Spec{Action: Partition, Namespace: tp.client, Destination: Endpoint{Ports: []int{8081}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Inject(ctx, runID("run-crashed"), "slow", 1, Spec{Action: Bandwidth, Rate: "1mbit", Shaper: TBF, Interface: "eth0", Namespace: tp.client}); err != nil {
		t.Fatal(err)
	}
	other, err := d.Inject(ctx, runID("run-other"), "cut", 1, Spec{Action: Loss, Percent: 1, Namespace: tp.client})
	if err != nil {
		t.Fatal(err)
	}

	found, err := d.Leftovers(ctx, Target{Name: tp.client})
	if err != nil {
		t.Fatal(err)
	}
	byTable := map[string]Leftover{}
	for _, l := range found {
		byTable[l.Table] = l
	}
	cut, ok := byTable[TableName(runID("run-crashed"), "cut", 3)]
	if !ok || cut.Marker.Run != runID("run-crashed") || cut.Marker.Fault != "cut" || cut.Marker.Injection != 3 {
		t.Errorf("Leftovers = %+v, want run-crashed's cut #3", found)
	}
	slow := byTable[TableName(runID("run-crashed"), "slow", 1)]
	if slow.Marker.Qdisc == nil || slow.Marker.Qdisc.Kind != "tbf" || slow.Marker.Qdisc.Link != "eth0" {
		t.Errorf("the tbf leftover's marker does not name its qdisc: %+v", slow.Marker)
	}
	if len(found) != 3 {
		t.Errorf("Leftovers = %d tables, want 3", len(found))
	}
	if !tp.cut(t, 8081) {
		t.Fatal("the leftover partition has no effect")
	}

	removed, err := d.CleanupRun(ctx, Target{Name: tp.client}, runID("run-crashed"))
	if err != nil {
		t.Fatalf("CleanupRun: %v", err)
	}
	if len(removed) != 2 {
		t.Errorf("CleanupRun removed %+v, want run-crashed's 2 tables", removed)
	}
	if got := tempestTables(t, tp.client); len(got) != 1 || got[0] != other.Table {
		t.Errorf("tables after CleanupRun = %v, want only run-other's %s", got, other.Table)
	}
	if hasTBF(t, tp.client) {
		t.Error("the crashed run's tbf qdisc is still there")
	}
	if !tp.connects(t, 8081) {
		t.Error("8081 still cut after CleanupRun")
	}
	// Cleanup again finds nothing and succeeds.
	if removed, err := d.CleanupRun(ctx, Target{Name: tp.client}, runID("run-crashed")); err != nil || len(removed) != 0 {
		t.Errorf("second CleanupRun = %+v, %v", removed, err)
	}
	everywhere, err := d.LeftoversEverywhere(ctx)
	if err != nil {
		t.Fatalf("LeftoversEverywhere: %v", err)
	}
	seen := false
	for _, l := range everywhere {
		seen = seen || (l.Table == other.Table && l.Namespace == other.Namespace)
	}
	if !seen {
		t.Errorf("LeftoversEverywhere = %+v, want run-other's table among them", everywhere)
	}
	if removed, err := d.CleanupRunEverywhere(ctx, runID("run-other")); err != nil || len(removed) != 1 {
		t.Errorf("CleanupRunEverywhere = %+v, %v; want run-other's table", removed, err)
	}
	// Reverting a state whose table CleanupRun took is a no-op.
	if err := d.Revert(ctx, other); err != nil {
		t.Errorf("Revert after cleanup: %v", err)
	}
}

func hasTBF(t *testing.T, ns string) bool {
	t.Helper()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	link, err := nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := nl.QdiscList(link)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Type() == "tbf" {
			return true
		}
	}
	return false
}

// An Inject whose result was lost is reverted from the request alone.
func TestRevertInjectionWithoutState(t *testing.T) {
	tp := newTopo(t)
	d := &Driver{}
	ctx := within(t, time.Minute)
	spec := Spec{Action: Bandwidth, Rate: "1mbit", Shaper: TBF, Interface: "eth0", Namespace: tp.client}
	if _, err := d.Inject(ctx, runID("run-lost"), "slow", 2, spec); err != nil {
		t.Fatal(err)
	}
	if err := d.RevertInjection(ctx, spec, runID("run-lost"), "slow", 1); err != nil {
		t.Fatalf("RevertInjection of another injection: %v", err)
	}
	if got := tempestTables(t, tp.client); len(got) != 1 {
		t.Fatalf("reverting injection 1 touched injection 2: tables %v", got)
	}
	for range 2 {
		if err := d.RevertInjection(ctx, spec, runID("run-lost"), "slow", 2); err != nil {
			t.Fatalf("RevertInjection: %v", err)
		}
	}
	if got := tempestTables(t, tp.client); len(got) != 0 {
		t.Errorf("tables left: %v", got)
	}
	if hasTBF(t, tp.client) {
		t.Error("tbf qdisc left")
	}
	if err := d.RevertInjection(ctx, Spec{Action: Partition, Namespace: "tempest-no-such-ns"}, "r", "f", 1); err != nil {
		t.Errorf("RevertInjection in a missing namespace: %v", err)
	}
}
