package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/google/nftables"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/network/netnsid"
)

// DefaultMark is the socket mark (SO_MARK) of the embedded proxies'
// connections to their dependencies, which the redirect never
// redirects: 0x54505354, "TPST".
const DefaultMark uint32 = 0x54505354

// Driver injects and reverts proxy faults. Set its fields before first
// use; it is then safe for concurrent use. It holds the embedded proxies
// of its transparent injections: use one Driver per worker.
type Driver struct {
	// Mark is the socket mark of the embedded proxies' upstream
	// connections (default DefaultMark). Pick another if the host's
	// policy routing (ip rule fwmark) gives this one a meaning.
	Mark uint32
	// TemporalAddress is the worker's Temporal frontend (host:port). A
	// transparent proxy in the worker's own namespace whose dependency
	// is that address (or could be: a host that does not resolve counts)
	// is refused (errkind.Refused) unless the spec sets AllowSelfCut.
	// Empty: no guard.
	TemporalAddress string
	// HTTPClient calls named proxies' servers (default
	// http.DefaultClient; each call is bounded to 15 s besides ctx).
	HTTPClient *http.Client

	mu      sync.Mutex
	running map[runningKey]*embedded
}

// runningKey identifies an embedded proxy: its table in its namespace
// (one fault's injection has a table of the same name in each namespace
// it targets).
type runningKey struct {
	table      string
	dev, inode uint64
}

func keyOf(table string, ns netnsid.Namespace) runningKey {
	return runningKey{table: table, dev: ns.Dev, inode: ns.Inode}
}

// runningFor returns this worker's proxy for table in ns, if any.
func (d *Driver) runningFor(table string, ns netnsid.Namespace) *embedded {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running[keyOf(table, ns)]
}

// State is exactly what one injection added, for its revert. It
// serializes to JSON (see EncodeState); it holds names, addresses and
// namespace identities, no secrets.
type State struct {
	Mode Mode `json:"mode,omitempty"`

	// Transparent: the redirect table (its family, ip or ip6) in
	// Namespace, and the embedded proxy's listen address there.
	Namespace  netnsid.Namespace `json:"namespace,omitzero"`
	Table      string            `json:"table,omitempty"`
	Family     string            `json:"family,omitempty"`
	Listen     string            `json:"listen,omitempty"`
	Dependency string            `json:"dependency,omitempty"`

	// Named: the server and proxy, the toxics added (by name), and
	// whether the injection took the proxy down (so its revert brings it up).
	Server   string   `json:"server,omitempty"`
	Proxy    string   `json:"proxy,omitempty"`
	Toxics   []string `json:"toxics,omitempty"`
	Disabled bool     `json:"disabled,omitempty"`
}

// stateKey is the one key of the map EncodeState returns.
const stateKey = "proxy"

// EncodeState returns s as a one-key string map (a fault.State).
func EncodeState(s State) (map[string]string, error) { return fault.EncodeJSON(stateKey, s) }

// DecodeState reverses EncodeState; an empty map is the zero State,
// whose revert does nothing.
func DecodeState(m map[string]string) (State, error) { return fault.DecodeJSON[State](m, stateKey) }

func (d *Driver) mark() uint32 {
	if d.Mark == 0 {
		return DefaultMark
	}
	return d.Mark
}

// Inject adds the toxics spec describes for injection number injection
// of fault faultName in run runID, and returns what it added.
//
// Named: the toxics go on the server's proxy, named by ToxicName;
// injecting again replaces them. Transparent: an embedded proxy starts
// in the target's namespace and the redirect table TableName(...) sends
// new connections to the dependency into it; injecting again keeps this
// worker's proxy for the injection (its toxics replaced) or, after a
// restart, starts a new one and atomically replaces the table to point
// at it.
//
// On an error after something was added and could not be taken back,
// the State to revert is returned with it; otherwise the State is zero.
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
	if c.mode == Named {
		return d.injectNamed(ctx, c, runID, faultName, injection)
	}
	return d.injectTransparent(ctx, c, runID, faultName, injection)
}

func (d *Driver) injectTransparent(ctx context.Context, c compiled, runID, faultName string, injection int) (State, error) {
	o, err := netnsid.Open(netnsid.Target{Name: c.spec.Namespace, PID: c.spec.PID})
	if err != nil {
		return State{}, err
	}
	defer o.Close()
	ns, h := o.NS, o.H
	if !c.spec.AllowSelfCut && d.TemporalAddress != "" && netnsid.IsSelf(ns) {
		if err := guardSelfCut(ctx, c.dependency, d.TemporalAddress); err != nil {
			return State{}, err
		}
	}
	table := TableName(runID, faultName, injection)
	fam := family(c.dependency.Addr())
	st := State{Mode: Transparent, Namespace: ns, Table: table, Family: familyName(fam), Dependency: c.dependency.String()}

	names := make([]string, len(c.toxics))
	for i := range c.toxics {
		names[i] = ToxicName(runID, faultName, injection, i)
	}
	e, fresh, err := d.embeddedFor(table, ns, h, c)
	if err != nil {
		return State{}, classify(err)
	}
	// abort stops a proxy this call started; a running one stays for the
	// table an earlier Inject added (its revert stops it).
	abort := func() {
		if fresh {
			e.stop()
		}
	}
	if err := e.setToxics(ctx, names, c.toxics, c.down); err != nil {
		abort()
		return State{}, errkind.Wrap(errkind.InvalidSpec, err)
	}
	st.Listen = e.listenAddr()

	mb, err := Marker{Run: runID, Fault: faultName, Injection: injection, Dependency: st.Dependency, Listen: st.Listen}.encode()
	if err != nil {
		abort()
		return State{}, errkind.New(errkind.InvalidSpec, "run ID: %v", err)
	}
	conn, err := nftables.New(nftables.WithNetNSFd(int(h)))
	if err != nil {
		abort()
		return State{}, classify(fmt.Errorf("nftables in %s: %w", ns, err))
	}
	existed, err := addRedirect(conn, planRedirect(table, c.dependency, e.listenPort(), d.mark(), mb))
	if err != nil {
		err = classify(fmt.Errorf("nftables: add table %s %s in %s: %w", st.Family, table, ns, err))
		if existed {
			// The earlier attempt's table may still be in place: ours to
			// revert, and it needs a proxy until then.
			return st, err
		}
		abort()
		return State{}, err
	}
	if fresh {
		go e.watch()
	}
	return st, nil
}

// embeddedFor returns this worker's running proxy for table if it has
// one for the same namespace and dependency (fresh false), or starts one.
func (d *Driver) embeddedFor(table string, ns netnsid.Namespace, h netns.NsHandle, c compiled) (*embedded, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := keyOf(table, ns)
	if e := d.running[key]; e != nil {
		if e.ns == ns && e.upstream == c.dependency {
			e.mu.Lock()
			stopped := e.stopped
			e.mu.Unlock()
			if !stopped {
				return e, false, nil
			}
		}
		go e.stop()
	}
	fd, err := unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, false, fmt.Errorf("embedded proxy: %w", err)
	}
	e, err := startEmbedded(table, ns, netns.NsHandle(fd), c.dependency, d.mark())
	if err != nil {
		_ = unix.Close(fd)
		return nil, false, err
	}
	if d.running == nil {
		d.running = map[runningKey]*embedded{}
	}
	d.running[key] = e
	e.onStop = func() {
		d.mu.Lock()
		if d.running[key] == e {
			delete(d.running, key)
		}
		d.mu.Unlock()
	}
	return e, true, nil
}

// Revert removes what the injection that returned st added, and nothing
// else. Transparent: the redirect table first (new connections go
// straight to the dependency again), then this worker's embedded proxy,
// which closes the connections that went through it. Named: the toxics
// it added, and the proxy is enabled again if it took it down. Objects
// already gone, a namespace gone (found by identity), a proxy gone, and
// the zero State all count as reverted: Revert is idempotent.
func (d *Driver) Revert(ctx context.Context, st State) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch st.Mode {
	case "":
		return nil
	case Named:
		if st.Server == "" || st.Proxy == "" {
			return nil
		}
		return d.revertNamed(ctx, st)
	case Transparent:
	default:
		return errkind.New(errkind.InvalidSpec, "proxy state: mode %q is not transparent or named", st.Mode)
	}
	if st.Table == "" {
		return nil
	}
	if !strings.HasPrefix(st.Table, TablePrefix) {
		return errkind.New(errkind.InvalidSpec, "proxy state: table %q is not a Tempest proxy table", st.Table)
	}
	fam, ok := parseFamily(st.Family)
	if !ok {
		return errkind.New(errkind.InvalidSpec, "proxy state: family %q is not ip or ip6", st.Family)
	}
	if o := netnsid.Reopen(st.Namespace); o != nil {
		defer o.Close()
		conn, err := nftables.New(nftables.WithNetNSFd(int(o.H)))
		if err != nil {
			return classify(fmt.Errorf("nftables in %s: %w", st.Namespace, err))
		}
		if err := delRedirect(conn, fam, st.Table); err != nil {
			return classify(fmt.Errorf("nftables: delete table %s %s in %s: %w", st.Family, st.Table, st.Namespace, err))
		}
	}
	// The namespace gone takes the table with it; the proxy goes either way.
	if e := d.runningFor(st.Table, st.Namespace); e != nil {
		e.stop()
	}
	return nil
}

// RevertInjection reverts an injection whose State was lost (an Inject
// whose outcome is unknown), from the request alone. Transparent: the
// table TableName(runID, faultName, injection) in the namespace spec
// names, and this worker's proxy for it. Named: the toxics on the proxy
// whose names ToxicName gives for the injection, and the proxy enabled
// again if its down marker is there. What does not exist is reverted.
func (d *Driver) RevertInjection(ctx context.Context, spec Spec, runID, faultName string, injection int) error {
	c, err := spec.compile()
	if err != nil {
		return errkind.Wrap(errkind.InvalidSpec, err)
	}
	if c.mode == Named {
		st, err := d.namedInjectionState(ctx, c, runID, faultName, injection)
		if err != nil {
			return err
		}
		return d.Revert(ctx, st)
	}
	table := TableName(runID, faultName, injection)
	o, err := netnsid.Open(netnsid.Target{Name: spec.Namespace, PID: spec.PID})
	if kind, _ := errkind.TypeOf(err); kind == errkind.UnknownTarget {
		// The namespace is gone, and its table with it: stop this
		// worker's proxies for the table whose namespace is gone.
		d.mu.Lock()
		var gone []*embedded
		for k, e := range d.running {
			if k.table == table {
				if h := netnsid.Reopen(e.ns); h != nil {
					h.Close()
				} else {
					gone = append(gone, e)
				}
			}
		}
		d.mu.Unlock()
		for _, e := range gone {
			e.stop()
		}
		return nil
	}
	if err != nil {
		return err
	}
	o.Close()
	return d.Revert(ctx, State{Mode: Transparent, Namespace: o.NS, Table: table, Family: familyName(family(c.dependency.Addr()))})
}

// Close stops every embedded proxy of d without removing the redirects:
// what a worker's exit does. Their faults turn into refused connections
// until reverted (see the package doc). For tests and orderly shutdown.
func (d *Driver) Close() {
	d.mu.Lock()
	var es []*embedded
	for _, e := range d.running {
		es = append(es, e)
	}
	d.mu.Unlock()
	for _, e := range es {
		e.stop()
	}
}

// classify marks permission errors Forbidden.
func classify(err error) error {
	if err != nil && (errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)) {
		return errkind.Wrap(errkind.Forbidden, err)
	}
	return err
}

// guardSelfCut refuses a redirect of dep when it could take the worker's
// connections to Temporal at temporal (host:port): the same port and an
// address temporal resolves to, or one that does not resolve.
func guardSelfCut(ctx context.Context, dep netip.AddrPort, temporal string) error {
	host, portStr, err := net.SplitHostPort(temporal)
	if err != nil {
		return errkind.New(errkind.InvalidSpec, "temporal address %q: %v", temporal, err)
	}
	if port, err := strconv.ParseUint(portStr, 10, 16); err == nil && uint16(port) != dep.Port() {
		return nil
	}
	refuse := func(why string) error {
		return errkind.New(errkind.Refused, "dependency: %s would send the worker's own connections to Temporal at %s through the fault's proxy (%s); set allowSelfCut to allow it",
			dep, temporal, why)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Unmap() == dep.Addr() {
			return refuse("the same address and port")
		}
		return nil
	}
	got, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return refuse(fmt.Sprintf("%s does not resolve: %v", host, err))
	}
	for _, a := range got {
		if a.Unmap() == dep.Addr() {
			return refuse(fmt.Sprintf("%s resolves to %s", host, a))
		}
	}
	return nil
}
