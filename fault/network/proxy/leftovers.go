package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/fault/network/netnsid"
)

// Leftover is a redirect table found in a namespace, with its marker,
// or (named mode) the toxics of one run on one proxy.
type Leftover struct {
	// Namespace, Table and Family locate a redirect table.
	Namespace netnsid.Namespace `json:"namespace,omitzero"`
	Table     string            `json:"table,omitempty"`
	Family    string            `json:"family,omitempty"`
	// Marker is the table's marker; zero when it has none that parses
	// (then no run claims the table, and CleanupRun leaves it).
	Marker Marker `json:"marker,omitzero"`

	// Server, Proxy and Toxics locate a named proxy's toxics; Run is
	// their run (also Marker.Run for a table).
	Server string   `json:"server,omitempty"`
	Proxy  string   `json:"proxy,omitempty"`
	Toxics []string `json:"toxics,omitempty"`
	Run    string   `json:"run"`
}

// String describes the leftover for people.
func (l Leftover) String() string {
	if l.Table != "" {
		return fmt.Sprintf("nftables table %s %s in %s redirecting %s to %s (proxy gone with its worker?)",
			l.Family, l.Table, l.Namespace, l.Marker.Dependency, l.Marker.Listen)
	}
	return fmt.Sprintf("toxics %s on proxy %q of %s", strings.Join(l.Toxics, ", "), l.Proxy, l.Server)
}

// State is what Revert needs to remove the leftover. A named proxy's
// down marker among the toxics means the run took it down: the revert
// brings it up.
func (l Leftover) State() State {
	if l.Table != "" {
		return State{Mode: Transparent, Namespace: l.Namespace, Table: l.Table, Family: l.Family,
			Listen: l.Marker.Listen, Dependency: l.Marker.Dependency}
	}
	st := State{Mode: Named, Server: l.Server, Proxy: l.Proxy, Toxics: l.Toxics}
	for _, t := range l.Toxics {
		if strings.HasSuffix(t, "_"+downMarker) {
			st.Disabled = true
		}
	}
	return st
}

// Leftovers lists the redirect tables (name prefix TablePrefix, family
// ip or ip6) in t's namespace, with the run each belongs to.
func (d *Driver) Leftovers(ctx context.Context, t netnsid.Target) ([]Leftover, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := netnsid.Open(t)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	ns := o.NS
	conn, err := nftables.New(nftables.WithNetNSFd(int(o.H)))
	if err != nil {
		return nil, classify(fmt.Errorf("nftables in %s: %w", ns, err))
	}
	var out []Leftover
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		tables, err := conn.ListTablesOfFamily(fam)
		if err != nil {
			return out, classify(fmt.Errorf("nftables: list tables in %s: %w", ns, err))
		}
		for _, tb := range tables {
			if !strings.HasPrefix(tb.Name, TablePrefix) {
				continue
			}
			l := Leftover{Namespace: ns, Table: tb.Name, Family: familyName(fam)}
			if rules, err := conn.GetRules(tb, &nftables.Chain{Name: chainMarker, Table: tb}); err == nil {
				for _, r := range rules {
					if s, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok && json.Unmarshal([]byte(s), &l.Marker) == nil {
						break
					}
				}
			}
			l.Run = l.Marker.Run
			out = append(out, l)
		}
	}
	return out, nil
}

// LeftoversEverywhere runs Leftovers in every namespace
// netnsid.All lists; namespaces that vanish meanwhile are skipped.
func (d *Driver) LeftoversEverywhere(ctx context.Context) ([]Leftover, error) {
	var out []Leftover
	var errs []error
	for _, t := range netnsid.All() {
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

// CleanupRun reverts every redirect table of run runID in t's namespace
// (and this worker's proxies for them), returning those it removed; one
// failing removal does not stop the others.
func (d *Driver) CleanupRun(ctx context.Context, t netnsid.Target, runID string) ([]Leftover, error) {
	if runID == "" {
		return nil, errkind.New(errkind.InvalidSpec, "run ID: required")
	}
	found, err := d.Leftovers(ctx, t)
	if err != nil {
		return nil, err
	}
	return d.removeRun(ctx, found, runID)
}

// CleanupRunEverywhere runs CleanupRun in every namespace
// netnsid.All lists; namespaces that vanish meanwhile are skipped.
func (d *Driver) CleanupRunEverywhere(ctx context.Context, runID string) ([]Leftover, error) {
	var removed []Leftover
	var errs []error
	for _, t := range netnsid.All() {
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

// NamedLeftovers lists the toxics Tempest added (names by ToxicName) on
// every proxy of the Toxiproxy server at server, one Leftover per proxy
// and run.
func (d *Driver) NamedLeftovers(ctx context.Context, server string) ([]Leftover, error) {
	u, err := parseServer(server)
	if err != nil {
		return nil, errkind.New(errkind.InvalidSpec, "server: %v", err)
	}
	ps, err := d.api(u).proxies(ctx)
	if err != nil {
		return nil, classifyAPI(err, "server")
	}
	var out []Leftover
	for name, p := range ps {
		byRun := map[string][]string{}
		for _, t := range p.Toxics {
			if run, ok := ParseToxicName(t.Name); ok {
				byRun[run] = append(byRun[run], t.Name)
			}
		}
		for run, toxics := range byRun {
			sort.Strings(toxics)
			out = append(out, Leftover{Server: u.String(), Proxy: name, Toxics: toxics, Run: run})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Proxy+"\x00"+out[i].Run < out[j].Proxy+"\x00"+out[j].Run
	})
	return out, nil
}

// CleanupNamedRun reverts every toxic of run runID on the server's
// proxies (and brings up a proxy the run took down), returning what it
// removed.
func (d *Driver) CleanupNamedRun(ctx context.Context, server, runID string) ([]Leftover, error) {
	if runID == "" {
		return nil, errkind.New(errkind.InvalidSpec, "run ID: required")
	}
	found, err := d.NamedLeftovers(ctx, server)
	if err != nil {
		return nil, err
	}
	return d.removeRun(ctx, found, runID)
}

func (d *Driver) removeRun(ctx context.Context, found []Leftover, runID string) ([]Leftover, error) {
	var removed []Leftover
	var errs []error
	for _, l := range found {
		if l.Run != runID {
			continue
		}
		if err := d.Revert(ctx, l.State()); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l, err))
			continue
		}
		removed = append(removed, l)
	}
	return removed, errors.Join(errs...)
}
