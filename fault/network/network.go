package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/fault"
)

// Driver injects and reverts network faults. Set its fields before first
// use; it is then safe for concurrent use.
type Driver struct {
	// TemporalAddress is the worker's Temporal frontend (host:port). A
	// partition or loss in the worker's own network namespace that could
	// match the worker's traffic to it is refused (errkind.Refused)
	// unless the spec sets AllowSelfCut. Empty: no guard.
	TemporalAddress string
}

// State is exactly what one injection added, for its revert. It
// serializes to JSON (see EncodeState).
type State struct {
	// Namespace is where the objects live.
	Namespace Namespace `json:"namespace"`
	// Table is the injection's nftables table (family inet); deleting it
	// deletes Chains and Rules with it.
	Table  string   `json:"table"`
	Chains []string `json:"chains,omitempty"`
	Rules  []Rule   `json:"rules,omitempty"`
	// Qdisc is the tbf qdisc added (shaper tbf only).
	Qdisc *Qdisc `json:"qdisc,omitempty"`
}

// stateKey is the one key of the map EncodeState returns.
const stateKey = "network"

// EncodeState returns s as a one-key string map (a fault.State).
func EncodeState(s State) (map[string]string, error) { return fault.EncodeJSON(stateKey, s) }

// DecodeState reverses EncodeState; an empty map is the zero State,
// whose revert does nothing.
func DecodeState(m map[string]string) (State, error) { return fault.DecodeJSON[State](m, stateKey) }

// Inject adds the fault spec describes for injection number injection
// of fault faultName in run runID, and returns what it added. Injecting
// again with the same run, fault and injection replaces its own table
// atomically (it is idempotent). On an error after something was added
// and could not be taken back, the State to revert is returned with it;
// otherwise the State is zero.
func (d *Driver) Inject(ctx context.Context, runID, faultName string, injection int, spec Spec) (State, error) {
	c, err := spec.compile()
	if err != nil {
		return State{}, errkind.Wrap(errkind.InvalidSpec, err)
	}
	if runID == "" {
		return State{}, errkind.New(errkind.InvalidSpec, "run ID: required (it marks what the fault adds)")
	}
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	o, err := open(Target{Name: spec.Namespace, PID: spec.PID})
	if err != nil {
		return State{}, err
	}
	defer o.Close()
	if spec.Action != Bandwidth && !spec.AllowSelfCut && d.TemporalAddress != "" && isSelf(o.ns) {
		if err := guardSelfCut(ctx, c, d.TemporalAddress); err != nil {
			return State{}, err
		}
	}

	table := TableName(runID, faultName, injection)
	st := State{Namespace: o.ns, Table: table}
	marker := Marker{Run: runID, Fault: faultName, Injection: injection}

	var nl *netlink.Handle
	var link netlink.Link
	if spec.Interface != "" || c.shaper == TBF {
		if nl, err = netlink.NewHandleAt(o.h); err != nil {
			return State{}, classify(fmt.Errorf("netlink in %s: %w", o.ns, err))
		}
		defer nl.Close()
		if link, err = nl.LinkByName(spec.Interface); err != nil {
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) {
				return State{}, errkind.New(errkind.UnknownTarget, "interface: %q: no such interface in %s", spec.Interface, o.ns)
			}
			return State{}, classify(fmt.Errorf("interface: %q: %w", spec.Interface, err))
		}
	}
	var q *Qdisc
	if c.shaper == TBF {
		q = &Qdisc{Link: spec.Interface, Index: link.Attrs().Index, Handle: qdiscHandle(table), Kind: "tbf"}
		if err := rootIsFree(nl, link, q); err != nil {
			return State{}, err
		}
		marker.Qdisc = q
	}

	mb, err := marker.encode()
	if err != nil {
		return State{}, errkind.New(errkind.InvalidSpec, "run ID: %v", err)
	}
	t, chains, rules := plan(c, table, mb)
	conn, err := nftables.New(nftables.WithNetNSFd(int(o.h)), nftables.AsLasting())
	if err != nil {
		return State{}, classify(fmt.Errorf("nftables in %s: %w", o.ns, err))
	}
	defer func() { _ = conn.CloseLasting() }()
	exists, err := tableExists(conn, table)
	if err != nil {
		return State{}, classify(fmt.Errorf("nftables in %s: %w", o.ns, err))
	}
	if exists {
		conn.DelTable(t) // an earlier attempt's: replaced in the same transaction
	}
	conn.AddTable(t)
	for _, ch := range chains {
		conn.AddChain(ch)
		st.Chains = append(st.Chains, ch.Name)
	}
	for _, r := range rules {
		conn.AddRule(&nftables.Rule{Table: t, Chain: r.chain, Exprs: r.exprs, UserData: r.udata})
	}
	if err := conn.Flush(); err != nil {
		if exists {
			// The old table may still be in place: it is ours to revert.
			return st, classify(fmt.Errorf("nftables: add table %s in %s: %w", table, o.ns, err))
		}
		return State{}, classify(fmt.Errorf("nftables: add table %s in %s: %w", table, o.ns, err))
	}
	st.Rules = recordRules(conn, t, chains, rules)

	if q != nil {
		if err := addTBF(nl, q, c); err != nil {
			// Take the marker table back; if that fails, it is the caller's to revert.
			conn.DelTable(t)
			if derr := conn.Flush(); derr != nil {
				return st, errors.Join(err, fmt.Errorf("remove table %s: %w", table, derr))
			}
			return State{}, err
		}
		st.Qdisc = q
	}
	return st, nil
}

// recordRules reads back the handles of the rules just added; a rule
// whose handle cannot be read is recorded without one.
func recordRules(conn *nftables.Conn, t *nftables.Table, chains []*nftables.Chain, rules []planned) []Rule {
	handles := map[string][]uint64{}
	for _, ch := range chains {
		got, err := conn.GetRules(t, ch)
		if err != nil {
			continue
		}
		for _, r := range got {
			handles[ch.Name] = append(handles[ch.Name], r.Handle)
		}
	}
	out := make([]Rule, 0, len(rules))
	next := map[string]int{}
	for _, r := range rules {
		rec := Rule{Chain: r.chain.Name, Match: r.desc}
		if hs := handles[r.chain.Name]; next[r.chain.Name] < len(hs) {
			rec.Handle = hs[next[r.chain.Name]]
		}
		next[r.chain.Name]++
		out = append(out, rec)
	}
	return out
}

// Revert removes what the injection that returned st added, and nothing
// else: its qdisc if it is still the root qdisc with the recorded handle
// and kind, then its table. Objects already gone, and a namespace
// already gone, count as reverted, so Revert is idempotent.
func (d *Driver) Revert(ctx context.Context, st State) error {
	if st.Table == "" && st.Qdisc == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	o, err := reopen(st.Namespace)
	if err != nil {
		return classify(err)
	}
	if o == nil {
		return nil // the namespace, and everything in it, is gone
	}
	defer o.Close()
	if st.Qdisc != nil {
		if err := delTBF(o, st.Qdisc); err != nil {
			return err
		}
	}
	if st.Table == "" {
		return nil
	}
	if !strings.HasPrefix(st.Table, TablePrefix) {
		return errkind.New(errkind.InvalidSpec, "network state: table %q is not a Tempest table", st.Table)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := nftables.New(nftables.WithNetNSFd(int(o.h)), nftables.AsLasting())
	if err != nil {
		return classify(fmt.Errorf("nftables in %s: %w", o.ns, err))
	}
	defer func() { _ = conn.CloseLasting() }()
	exists, err := tableExists(conn, st.Table)
	if err != nil || !exists {
		return classify(err)
	}
	conn.DelTable(&nftables.Table{Name: st.Table, Family: nftables.TableFamilyINet})
	if err := conn.Flush(); err != nil && !errors.Is(err, syscall.ENOENT) {
		return classify(fmt.Errorf("nftables: delete table %s in %s: %w", st.Table, o.ns, err))
	}
	return nil
}

func tableExists(conn *nftables.Conn, name string) (bool, error) {
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, err
	}
	for _, t := range tables {
		if t.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// classify marks permission errors Forbidden.
func classify(err error) error {
	if err != nil && (errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)) {
		return errkind.Wrap(errkind.Forbidden, err)
	}
	return err
}
