package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"

	"github.com/tempest-chaos/tempest/errkind"
)

// Leftover is a Tempest table found in a namespace, with its marker.
type Leftover struct {
	Namespace Namespace `json:"namespace"`
	Table     string    `json:"table"`
	// Marker is the table's marker; zero when it has none that parses
	// (then no run claims the table, and CleanupRun leaves it).
	Marker Marker `json:"marker"`
}

// State is what Revert needs to remove the leftover and its qdisc.
func (l Leftover) State() State {
	return State{Namespace: l.Namespace, Table: l.Table, Qdisc: l.Marker.Qdisc}
}

// Leftovers lists the Tempest tables (name prefix TablePrefix, family
// inet) in t's namespace, with the run each belongs to.
func (d *Driver) Leftovers(ctx context.Context, t Target) ([]Leftover, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := open(t)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	conn, err := nftables.New(nftables.WithNetNSFd(int(o.h)), nftables.AsLasting())
	if err != nil {
		return nil, classify(fmt.Errorf("nftables in %s: %w", o.ns, err))
	}
	defer func() { _ = conn.CloseLasting() }()
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, classify(fmt.Errorf("nftables: list tables in %s: %w", o.ns, err))
	}
	var out []Leftover
	for _, tb := range tables {
		if !strings.HasPrefix(tb.Name, TablePrefix) {
			continue
		}
		l := Leftover{Namespace: o.ns, Table: tb.Name}
		rules, err := conn.GetRules(tb, &nftables.Chain{Name: chainMarker, Table: tb})
		if err == nil {
			for _, r := range rules {
				if s, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok {
					if json.Unmarshal([]byte(s), &l.Marker) == nil {
						break
					}
				}
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// LeftoversEverywhere runs Leftovers in every namespace AllNamespaces
// lists; namespaces that vanish meanwhile are skipped.
func (d *Driver) LeftoversEverywhere(ctx context.Context) ([]Leftover, error) {
	var out []Leftover
	var errs []error
	for _, t := range AllNamespaces() {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		got, err := d.Leftovers(ctx, t)
		out = append(out, got...)
		if kind, _ := errkind.TypeOf(err); err != nil && kind != errkind.UnknownTarget {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// RevertInjection reverts an injection whose State was lost (an Inject
// whose outcome is unknown): it finds the table TableName(runID,
// faultName, injection) in the namespace spec names, and its qdisc from
// the table's marker, and reverts them as Revert does. A namespace or
// table that does not exist is already reverted.
func (d *Driver) RevertInjection(ctx context.Context, spec Spec, runID, faultName string, injection int) error {
	found, err := d.Leftovers(ctx, Target{Name: spec.Namespace, PID: spec.PID})
	if kind, _ := errkind.TypeOf(err); kind == errkind.UnknownTarget {
		return nil
	}
	if err != nil {
		return err
	}
	table := TableName(runID, faultName, injection)
	for _, l := range found {
		if l.Table == table {
			return d.Revert(ctx, l.State())
		}
	}
	return nil
}

// CleanupRun reverts every leftover of run runID in t's namespace (as
// Revert does: the table, and the qdisc its marker names if still ours)
// and returns those it removed; one failing removal does not stop the
// others.
func (d *Driver) CleanupRun(ctx context.Context, t Target, runID string) ([]Leftover, error) {
	if runID == "" {
		return nil, errkind.New(errkind.InvalidSpec, "run ID: required")
	}
	found, err := d.Leftovers(ctx, t)
	if err != nil {
		return nil, err
	}
	var removed []Leftover
	var errs []error
	for _, l := range found {
		if l.Marker.Run != runID {
			continue
		}
		if err := d.Revert(ctx, l.State()); err != nil {
			errs = append(errs, fmt.Errorf("%s in %s: %w", l.Table, l.Namespace, err))
			continue
		}
		removed = append(removed, l)
	}
	return removed, errors.Join(errs...)
}

// CleanupRunEverywhere runs CleanupRun in every namespace AllNamespaces
// lists; namespaces that vanish meanwhile are skipped.
func (d *Driver) CleanupRunEverywhere(ctx context.Context, runID string) ([]Leftover, error) {
	var removed []Leftover
	var errs []error
	for _, t := range AllNamespaces() {
		if err := ctx.Err(); err != nil {
			return removed, errors.Join(append(errs, err)...)
		}
		got, err := d.CleanupRun(ctx, t, runID)
		removed = append(removed, got...)
		if kind, _ := errkind.TypeOf(err); err != nil && kind != errkind.UnknownTarget {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}
