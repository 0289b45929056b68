package network

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/network/proxy"
	"github.com/tempest-chaos/tempest/fault/process"
)

// KindName is the network fault's key in a spec.
const KindName experiment.FaultKind = "network"

// Kind is the "network" host fault: Spec is its block in a spec, Fault
// its implementation. Package kinds registers it.
var Kind = fault.Kind{
	Block: &Spec{},
	Scope: fault.ScopeHost,
	New: func(env fault.Env) fault.Fault {
		return &Fault{
			Driver: Driver{TemporalAddress: env.TemporalAddress},
			Proxy:  &proxy.Driver{TemporalAddress: env.TemporalAddress},
		}
	},
}

// FaultKind makes Spec the network kind's block (experiment.FaultBlock).
func (*Spec) FaultKind() experiment.FaultKind { return KindName }

// Validate reports Check's problems at their field paths below path.
func (s *Spec) Validate(path string) []experiment.FieldError {
	err := s.Check()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]experiment.FieldError, 0, len(errs))
	for _, e := range errs {
		field, msg, ok := strings.Cut(e.Error(), ": ")
		if !ok {
			field, msg = "", e.Error()
		}
		p := path
		if field != "" {
			p = path + "." + field
		}
		out = append(out, experiment.FieldErrorf(p, "%s", msg))
	}
	return out
}

// Summary says what the fault does, for people (target descriptions, so
// the CLI and the Temporal UI show what was injected where):
// "partition egress to 10.0.0.0/8 port 5432/tcp".
func (s *Spec) Summary() string {
	var b strings.Builder
	b.WriteString(string(s.Action))
	if s.Action == Proxy && s.Proxy != nil {
		p := s.Proxy
		if p.Mode == proxy.Named {
			fmt.Fprintf(&b, " %s on %s", p.Proxy, p.Server)
		} else {
			fmt.Fprintf(&b, " to %s", p.Dependency)
		}
		for _, t := range p.Toxics {
			fmt.Fprintf(&b, ", %s", t.Type)
			switch {
			case t.Latency > 0:
				fmt.Fprintf(&b, " %s", t.Latency)
				if t.Jitter > 0 {
					fmt.Fprintf(&b, "±%s", t.Jitter)
				}
			case t.Rate != "":
				fmt.Fprintf(&b, " %s", t.Rate)
			case t.Timeout > 0:
				fmt.Fprintf(&b, " after %s", t.Timeout)
			}
		}
		return b.String()
	}
	switch s.Action {
	case Loss:
		fmt.Fprintf(&b, " %g%%", s.Percent)
	case Bandwidth:
		fmt.Fprintf(&b, " %s", s.Rate)
	}
	dir := s.Direction
	if dir == "" {
		dir = Both
	}
	fmt.Fprintf(&b, " %s", dir)
	if s.Interface != "" {
		fmt.Fprintf(&b, " on %s", s.Interface)
	}
	for _, e := range []struct {
		name string
		ep   Endpoint
	}{{"to", s.Destination}, {"from", s.Source}} {
		if len(e.ep.CIDRs)+len(e.ep.Ports) == 0 {
			continue
		}
		fmt.Fprintf(&b, " %s", e.name)
		if len(e.ep.CIDRs) > 0 {
			fmt.Fprintf(&b, " %s", strings.Join(e.ep.CIDRs, ","))
		}
		if len(e.ep.Ports) > 0 {
			ports := make([]string, len(e.ep.Ports))
			for i, p := range e.ep.Ports {
				ports[i] = strconv.Itoa(p)
			}
			fmt.Fprintf(&b, " port %s", strings.Join(ports, ","))
		}
	}
	if s.Protocol != "" {
		fmt.Fprintf(&b, " (%s)", s.Protocol)
	}
	return b.String()
}

// Target attributes of a network fault's target (a network namespace).
const (
	attrNetns     = "netns"
	attrPID       = "pid"
	attrStartTime = "pid-start-time"
)

// Fault is the network fault's implementation: its targets are network
// namespaces of the worker's host, and it acts through Driver, or Proxy
// for action proxy.
type Fault struct {
	Driver Driver
	// Proxy runs the transparent proxies of this worker's proxy faults:
	// one per worker (nil: action proxy is refused).
	Proxy *proxy.Driver
}

var (
	_ fault.Fault   = (*Fault)(nil)
	_ fault.Sweeper = (*Fault)(nil)
)

// specOf returns the kind's block of f.
func specOf(f experiment.Fault) (*Spec, error) { return fault.BlockOf[*Spec](f) }

// Targets returns the namespace the spec names: a named one, a pid's,
// those of the processes Process selects (each distinct namespace
// once), or the worker's own.
func (n *Fault) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	s, err := specOf(f)
	if err != nil {
		return nil, err
	}
	if s.Action == Proxy && s.Proxy != nil && s.Proxy.Mode == proxy.Named {
		// The toxics go on the server's proxy: one target, whatever the namespace.
		return []experiment.Target{{ID: "toxiproxy/" + s.Proxy.Proxy, Description: fmt.Sprintf("proxy %q of %s", s.Proxy.Proxy, s.Proxy.Server)}}, nil
	}
	switch {
	case s.Namespace != "":
		if err := n.exists(Target{Name: s.Namespace}, s); err != nil {
			return nil, err
		}
		return []experiment.Target{{ID: "netns/" + s.Namespace, Description: fmt.Sprintf("netns %q: %s", s.Namespace, s.Summary()),
			Attrs: map[string]string{attrNetns: s.Namespace}}}, nil
	case s.PID != 0:
		found := []process.Found{{PID: s.PID, Name: "pid"}}
		return n.processTargets(s, found)
	case s.Process != nil:
		found, err := process.Find(ctx, *s.Process)
		if err != nil {
			return nil, err
		}
		return n.processTargets(s, found)
	default:
		if err := n.exists(Target{}, s); err != nil {
			return nil, err
		}
		return []experiment.Target{{ID: "netns/host", Description: "the worker's network namespace: " + s.Summary()}}, nil
	}
}

// processTargets are the distinct namespaces of found.
func (n *Fault) processTargets(s *Spec, found []process.Found) ([]experiment.Target, error) {
	seen := map[Namespace]bool{}
	var out []experiment.Target
	for _, p := range found {
		o, err := open(Target{PID: p.PID})
		if err != nil {
			return nil, err
		}
		ns := o.ns
		ns.PID = 0
		if err := n.checkInterface(o, s); err != nil {
			o.Close()
			return nil, err
		}
		o.Close()
		if seen[ns] {
			continue
		}
		seen[ns] = true
		start := p.StartTime
		if start == 0 {
			if start, err = process.StartTime(p.PID); err != nil {
				return nil, errkind.New(errkind.UnknownTarget, "pid: %d: no such process", p.PID)
			}
		}
		out = append(out, experiment.Target{
			ID:          "netns/pid/" + strconv.Itoa(p.PID),
			Description: fmt.Sprintf("netns of %s pid %d: %s", p.Name, p.PID, s.Summary()),
			Attrs:       map[string]string{attrPID: strconv.Itoa(p.PID), attrStartTime: strconv.FormatUint(start, 10)},
		})
	}
	return out, nil
}

// exists checks that t's namespace, and the spec's interface in it, exist.
func (n *Fault) exists(t Target, s *Spec) error {
	o, err := open(t)
	if err != nil {
		return err
	}
	defer o.Close()
	return n.checkInterface(o, s)
}

func (n *Fault) checkInterface(o *openNS, s *Spec) error {
	if s.Interface == "" {
		return nil
	}
	nl, err := netlink.NewHandleAt(o.h)
	if err != nil {
		return classify(fmt.Errorf("netlink in %s: %w", o.ns, err))
	}
	defer nl.Close()
	if _, err := nl.LinkByName(s.Interface); err != nil {
		return errkind.New(errkind.UnknownTarget, "interface: no interface %q in %s", s.Interface, o.ns)
	}
	return nil
}

// targetSpec is the spec acting in target t's namespace.
func targetSpec(s *Spec, t experiment.Target) (Spec, error) {
	spec := *s
	spec.Process, spec.Namespace, spec.PID = nil, "", 0
	switch {
	case t.Attrs[attrNetns] != "":
		spec.Namespace = t.Attrs[attrNetns]
	case t.Attrs[attrPID] != "":
		pid, err := strconv.Atoi(t.Attrs[attrPID])
		if err != nil || pid <= 0 {
			return spec, errkind.New(errkind.InvalidSpec, "target %q: attr %s: not a pid", t.ID, attrPID)
		}
		start, _ := strconv.ParseUint(t.Attrs[attrStartTime], 10, 64)
		if !process.Alive(pid, start) {
			return spec, errkind.New(errkind.UnknownTarget, "target %q: pid %d has exited", t.ID, pid)
		}
		spec.PID = pid
	}
	return spec, nil
}

// runKey names the run in tables and markers: "<workflow ID>/<run ID>",
// so that `tempest cleanup` can ask Temporal whether the run has ended.
func runKey(r fault.Run) string { return r.WorkflowID + "/" + r.RunID }

func parseRunKey(s string) fault.Run {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return fault.Run{RunID: s}
	}
	return fault.Run{WorkflowID: s[:i], RunID: s[i+1:]}
}

// Inject adds the fault in the target's namespace; the State holds the
// driver's record of exactly what was added.
func (n *Fault) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	s, err := specOf(req.Fault)
	if err != nil {
		return nil, err
	}
	spec, err := targetSpec(s, req.Target)
	if err != nil {
		return nil, err
	}
	if spec.Action == Proxy {
		return n.injectProxy(ctx, req, spec)
	}
	st, err := n.Driver.Inject(ctx, runKey(req.Run), req.Fault.Name, req.Injection, spec)
	if st.Table == "" {
		return nil, err
	}
	enc, encErr := EncodeState(st)
	return enc, errors.Join(err, encErr)
}

// Revert removes what the injection added. Without a State (the inject's
// outcome was lost) it finds the injection's table by its name. A target
// process that has exited took its namespace's fault with it, unless
// another process holds the namespace: the namespace's identity, recorded
// in the State, decides.
func (n *Fault) Revert(ctx context.Context, req fault.Request, state fault.State) error {
	st, err := DecodeState(state)
	if err != nil {
		return errkind.New(errkind.InvalidSpec, "%v", err)
	}
	if st.Table != "" {
		return n.Driver.Revert(ctx, st)
	}
	pst, err := proxy.DecodeState(state)
	if err != nil {
		return errkind.New(errkind.InvalidSpec, "%v", err)
	}
	if pst.Mode != "" {
		if n.Proxy == nil {
			return errkind.New(errkind.Refused, "action proxy: this worker runs no proxy driver")
		}
		return n.Proxy.Revert(ctx, pst)
	}
	s, err := specOf(req.Fault)
	if err != nil {
		return err
	}
	spec, err := targetSpec(s, req.Target)
	if typ, _ := errkind.TypeOf(err); typ == errkind.UnknownTarget {
		return nil // no State and the process is gone: nothing to find
	}
	if err != nil {
		return err
	}
	if spec.Action == Proxy {
		ps, err := n.proxySpec(spec)
		if err != nil {
			return err
		}
		return n.Proxy.RevertInjection(ctx, ps, runKey(req.Run), req.Fault.Name, req.Injection)
	}
	return n.Driver.RevertInjection(ctx, spec, runKey(req.Run), req.Fault.Name, req.Injection)
}

// proxySpec is the proxy driver's spec for a target's spec: the block,
// acting in the target's namespace.
func (n *Fault) proxySpec(spec Spec) (proxy.Spec, error) {
	if n.Proxy == nil {
		return proxy.Spec{}, errkind.New(errkind.Refused, "action proxy: this worker runs no proxy driver")
	}
	if spec.Proxy == nil {
		return proxy.Spec{}, errkind.New(errkind.InvalidSpec, "proxy: required for action proxy")
	}
	ps := *spec.Proxy
	ps.Namespace, ps.PID = spec.Namespace, spec.PID
	if ps.Mode == proxy.Named {
		ps.Namespace, ps.PID = "", 0
	}
	ps.AllowSelfCut = ps.AllowSelfCut || spec.AllowSelfCut
	return ps, nil
}

// injectProxy injects an action proxy fault through the proxy driver.
func (n *Fault) injectProxy(ctx context.Context, req fault.Request, spec Spec) (fault.State, error) {
	ps, err := n.proxySpec(spec)
	if err != nil {
		return nil, err
	}
	st, err := n.Proxy.Inject(ctx, runKey(req.Run), req.Fault.Name, req.Injection, ps)
	if st.Mode == "" {
		return nil, err
	}
	enc, encErr := proxy.EncodeState(st)
	return enc, errors.Join(err, encErr)
}

// Leftovers lists the Tempest tables of every namespace of the host, with
// the run each belongs to, for `tempest cleanup`.
func (n *Fault) Leftovers(ctx context.Context) ([]fault.Leftover, error) {
	found, err := n.Driver.LeftoversEverywhere(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]fault.Leftover, 0, len(found))
	for _, l := range found {
		if l.Marker.Run == "" {
			continue // no run claims it
		}
		st := l.State()
		out = append(out, fault.Leftover{
			Run:  parseRunKey(l.Marker.Run),
			What: fmt.Sprintf("nftables table %s in %s (fault %q, injection %d)", l.Table, l.Namespace, l.Marker.Fault, l.Marker.Injection),
			Remove: func(ctx context.Context) error {
				return n.Driver.Revert(ctx, st)
			},
		})
	}
	if n.Proxy != nil {
		found, err := n.Proxy.LeftoversEverywhere(ctx)
		if err != nil {
			return out, err
		}
		for _, l := range found {
			if l.Run == "" {
				continue // no run claims it
			}
			st := l.State()
			out = append(out, fault.Leftover{
				Run:  parseRunKey(l.Run),
				What: fmt.Sprintf("%s (fault %q, injection %d)", l, l.Marker.Fault, l.Marker.Injection),
				Remove: func(ctx context.Context) error {
					return n.Proxy.Revert(ctx, st)
				},
			})
		}
	}
	return out, nil
}
