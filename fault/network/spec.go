package network

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault/network/bitrate"
	"github.com/tempest-chaos/tempest/fault/network/proxy"
)

// Action is what a network fault does to the packets it matches.
type Action string

// Actions.
const (
	// Partition drops every matched packet.
	Partition Action = "partition"
	// Loss drops each matched packet with probability Percent/100.
	Loss Action = "loss"
	// Bandwidth drops (nftables) or queues (tbf) matched traffic over Rate.
	Bandwidth Action = "bandwidth"
	// Proxy puts Toxiproxy toxics (latency with jitter, bandwidth,
	// timeout, reset_peer, slow_close, limit_data, down) on the TCP
	// connections to one dependency, as the Proxy block says (package
	// fault/network/proxy).
	Proxy Action = "proxy"
)

// Direction says which packets, relative to the namespace, are matched.
type Direction string

// Directions.
const (
	// Ingress: packets arriving for the namespace's own sockets (hook input).
	Ingress Direction = "ingress"
	// Egress: packets its sockets send (hook output).
	Egress Direction = "egress"
	// Both: ingress and egress, each with its own limiter for Bandwidth.
	Both Direction = "both"
)

// Protocol restricts port matches to one transport.
type Protocol string

// Protocols.
const (
	TCP Protocol = "tcp"
	UDP Protocol = "udp"
)

// Shaper is how Bandwidth is enforced.
type Shaper string

// Shapers.
const (
	// Nftables polices: an nftables "limit rate over" rule drops what
	// exceeds Rate (TCP backs off to about Rate). The default.
	Nftables Shaper = "nftables"
	// TBF shapes: a tbf qdisc at the root of Interface queues egress
	// traffic to Rate. Only on an interface whose root qdisc is the
	// kernel's default; whole-interface (no address or port filters).
	TBF Shaper = "tbf"
)

// Endpoint filters one end of the traffic. Empty lists match anything.
type Endpoint struct {
	// CIDRs are IPv4 or IPv6 prefixes ("10.0.0.0/8") or addresses
	// ("10.0.0.5", taken as /32 or /128).
	CIDRs []string `json:"cidrs,omitempty"`
	// Ports are TCP or UDP ports, 1-65535.
	Ports []int `json:"ports,omitempty"`
}

// Spec is one network fault, as written in an experiment.
//
// Destination and Source are named as for an egress packet: Destination
// is the remote end, Source the namespace's own end. An ingress packet
// is matched with the roles swapped (its source address and port are
// the remote end's), so {destination: {cidrs: [db], ports: [5432]}}
// with direction both drops the requests to the database and its replies.
type Spec struct {
	// Action is partition, loss, bandwidth or proxy (required).
	Action Action `json:"action"`
	// Direction is ingress, egress or both (default both; egress for the
	// tbf shaper, the only direction it can shape).
	Direction Direction `json:"direction,omitempty"`
	// Percent of matched packets dropped, for loss: more than 0, at most
	// 100, in steps of 0.01.
	Percent float64 `json:"percent,omitempty"`
	// Rate for bandwidth, in bits per second with a unit: "512kbit",
	// "1mbit", "1.5gbit" (bit, kbit, mbit, gbit; powers of 1000).
	Rate string `json:"rate,omitempty"`
	// Burst for bandwidth, in bytes (default: an eighth of a second at
	// Rate, at least 128 KiB, so one GSO super-packet of 64 KiB fits).
	Burst int `json:"burst,omitempty"`
	// Shaper for bandwidth: nftables (default) or tbf.
	Shaper Shaper `json:"shaper,omitempty"`
	// Protocol restricts the fault to tcp or udp; empty is any protocol,
	// or tcp and udp when ports are given.
	Protocol Protocol `json:"protocol,omitempty"`
	// Destination filters the remote end (see the type's doc).
	Destination Endpoint `json:"destination,omitzero"`
	// Source filters the namespace's own end.
	Source Endpoint `json:"source,omitzero"`
	// Interface restricts the fault to packets leaving (egress) or
	// arriving on (ingress) this interface; required for the tbf shaper.
	Interface string `json:"interface,omitempty"`
	// Namespace names a network namespace (/run/netns/NAME, as made by
	// `ip netns add`). With none of namespace, pid and process, the fault
	// acts in the worker's own network namespace (the host's).
	Namespace string `json:"namespace,omitempty"`
	// PID selects the network namespace of that process.
	PID int `json:"pid,omitempty"`
	// Process selects the network namespace of a process on the worker's
	// host, like the process fault's selector (pidFile, name or port);
	// every distinct namespace of the matching processes is a target.
	// At most one of namespace, pid and process is set.
	Process *experiment.ProcessSelector `json:"process,omitempty"`
	// Proxy is the toxics and where they act, for action proxy: a
	// transparent proxy of the target namespace's connections to a
	// dependency (the default), or a named proxy of a Toxiproxy server.
	Proxy *proxy.Spec `json:"proxy,omitempty"`
	// AllowSelfCut lets a partition or loss match the worker's own
	// traffic to Temporal, or a transparent proxy take it (refused
	// otherwise).
	AllowSelfCut bool `json:"allowSelfCut,omitempty"`
}

// ApplyDefaults fills in the proxy block's defaults (experiment.BlockDefaulter).
func (s *Spec) ApplyDefaults() {
	if s.Proxy != nil {
		s.Proxy.ApplyDefaults()
	}
}

// maxRules bounds the rules one fault adds (the product of its CIDR,
// port and protocol choices per direction).
const maxRules = 256

// minBurst fits a 64 KiB GSO packet with room to spare.
const minBurst = 128 << 10

// Check checks s without touching the system. Each problem is
// reported with the JSON path of its field ("destination.cidrs[1]: ...");
// several problems are joined.
func (s Spec) Check() error {
	_, err := s.compile()
	return err
}

// compiled is a validated Spec with its values parsed.
type compiled struct {
	spec      Spec
	direction Direction
	shaper    Shaper
	percent   uint32 // loss: hundredths of a percent
	rateBytes uint64 // bandwidth: bytes per second
	burst     uint32 // bandwidth: bytes
	dst, src  endpoint
	protocols []Protocol // tcp and/or udp when ports are given or Protocol is set; nil: any
}

type endpoint struct {
	prefixes []netip.Prefix
	ports    []uint16
}

func (s Spec) compile() (compiled, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	c := compiled{spec: s, direction: s.Direction, shaper: s.Shaper}

	switch s.Action {
	case Partition, Loss, Bandwidth:
	case Proxy:
		errs = append(errs, s.checkProxy()...)
	case "":
		bad("action", "required: partition, loss, bandwidth or proxy")
	default:
		bad("action", "%q is not partition, loss, bandwidth or proxy", s.Action)
	}
	if s.Proxy != nil && s.Action != Proxy {
		bad("proxy", "only for action proxy")
	}

	if s.Action == Loss {
		switch {
		case math.IsNaN(s.Percent) || s.Percent <= 0 || s.Percent > 100:
			bad("percent", "%v is not more than 0 and at most 100", s.Percent)
		default:
			c.percent = uint32(math.Round(s.Percent * 100))
			if c.percent == 0 {
				bad("percent", "%v rounds to 0 (steps of 0.01)", s.Percent)
			}
		}
	} else if s.Percent != 0 {
		bad("percent", "only for action loss")
	}

	if s.Action == Bandwidth {
		rate, err := parseRate(s.Rate)
		if err != nil {
			bad("rate", "%v", err)
		}
		c.rateBytes = rate / 8
		if err == nil && c.rateBytes == 0 {
			bad("rate", "%q is less than 8 bit per second", s.Rate)
		}
		switch {
		case s.Burst < 0 || s.Burst > math.MaxUint32/2:
			bad("burst", "%d is not 0-%d bytes", s.Burst, math.MaxUint32/2)
		case s.Burst > 0:
			c.burst = uint32(s.Burst)
		default:
			c.burst = uint32(max(minBurst, min(c.rateBytes/8, math.MaxUint32/2)))
		}
		switch s.Shaper {
		case "":
			c.shaper = Nftables
		case Nftables, TBF:
		default:
			bad("shaper", "%q is not nftables or tbf", s.Shaper)
		}
	} else {
		if s.Rate != "" {
			bad("rate", "only for action bandwidth")
		}
		if s.Burst != 0 {
			bad("burst", "only for action bandwidth")
		}
		if s.Shaper != "" {
			bad("shaper", "only for action bandwidth")
		}
	}

	switch s.Direction {
	case "":
		c.direction = Both
		if c.shaper == TBF {
			c.direction = Egress
		}
	case Ingress, Egress, Both:
	default:
		bad("direction", "%q is not ingress, egress or both", s.Direction)
	}

	switch s.Protocol {
	case "":
	case TCP, UDP:
		c.protocols = []Protocol{s.Protocol}
	default:
		bad("protocol", "%q is not tcp or udp", s.Protocol)
	}

	var epErrs []error
	c.dst, epErrs = parseEndpoint("destination", s.Destination)
	errs = append(errs, epErrs...)
	c.src, epErrs = parseEndpoint("source", s.Source)
	errs = append(errs, epErrs...)
	if c.protocols == nil && (len(c.dst.ports) > 0 || len(c.src.ports) > 0) {
		c.protocols = []Protocol{TCP, UDP}
	}

	if s.Interface != "" && !validIfName(s.Interface) {
		bad("interface", "%q is not an interface name (1-15 bytes, no '/', ':' or space)", s.Interface)
	}
	if c.shaper == TBF {
		if s.Interface == "" {
			bad("interface", "required for shaper tbf")
		}
		if c.direction != Egress {
			bad("direction", "shaper tbf shapes egress only")
		}
		if len(s.Destination.CIDRs)+len(s.Destination.Ports)+len(s.Source.CIDRs)+len(s.Source.Ports) > 0 || s.Protocol != "" {
			bad("shaper", "tbf shapes the whole interface; address, port and protocol filters need shaper nftables")
		}
	}

	if s.Namespace != "" && s.PID != 0 {
		bad("namespace", "set namespace or pid, not both")
	}
	if s.Process != nil {
		if s.Namespace != "" || s.PID != 0 {
			bad("process", "set one of namespace, pid and process")
		}
		sel := *s.Process
		switch n := btoi(sel.PIDFile != "") + btoi(sel.Name != "") + btoi(sel.Port != 0); {
		case n != 1:
			bad("process", "set exactly one of pidFile, name and port")
		case sel.Port < 0 || sel.Port > 65535:
			bad("process.port", "%d is not in 1-65535", sel.Port)
		}
	}
	if s.Namespace != "" && (strings.ContainsAny(s.Namespace, "/\x00") || s.Namespace == "." || s.Namespace == "..") {
		bad("namespace", "%q is not a namespace name (a file name in /run/netns)", s.Namespace)
	}
	if s.PID < 0 {
		bad("pid", "%d is negative", s.PID)
	}

	if n := c.ruleCount(); n > maxRules {
		bad("destination", "the filters make %d rules per direction (CIDRs x ports x protocols of both ends), more than %d", n, maxRules)
	}
	return c, errors.Join(errs...)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parseEndpoint(field string, e Endpoint) (endpoint, []error) {
	var out endpoint
	var errs []error
	for i, s := range e.CIDRs {
		p, err := parsePrefix(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.cidrs[%d]: %q is not an IP address or CIDR", field, i, s))
			continue
		}
		out.prefixes = append(out.prefixes, p)
	}
	for i, p := range e.Ports {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("%s.ports[%d]: %d is not in 1-65535", field, i, p))
			continue
		}
		out.ports = append(out.ports, uint16(p))
	}
	return out, errs
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("zone not allowed")
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// ruleCount is the number of match rules per direction.
func (c compiled) ruleCount() int {
	n := 1
	for _, k := range []int{len(c.dst.prefixes), len(c.src.prefixes), len(c.dst.ports), len(c.src.ports), len(c.protocols)} {
		n *= max(k, 1)
	}
	return n
}

// parseRate parses "1mbit" into bits per second (package bitrate).
func parseRate(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New(`required for action bandwidth, e.g. "1mbit"`)
	}
	return bitrate.Parse(s)
}

func validIfName(s string) bool {
	return len(s) >= 1 && len(s) <= 15 && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n\x00")
}

// checkProxy checks a spec of action proxy: the block's own problems at
// "proxy.<field>", the target fields as for every action, and none of
// the packet filters, which the proxy does not take.
func (s Spec) checkProxy() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Proxy == nil {
		bad("proxy", "required for action proxy: the dependency (or named proxy) and its toxics")
	} else {
		// The target namespace is this block's namespace, pid or
		// process, checked below as for every action.
		p := *s.Proxy
		if err := p.Check(); err != nil {
			list := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				list = j.Unwrap()
			}
			for _, e := range list {
				errs = append(errs, fmt.Errorf("proxy.%w", e))
			}
		}
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"direction", s.Direction != ""}, {"protocol", s.Protocol != ""}, {"interface", s.Interface != ""},
		{"destination", len(s.Destination.CIDRs)+len(s.Destination.Ports) > 0}, {"source", len(s.Source.CIDRs)+len(s.Source.Ports) > 0},
	} {
		if f.set {
			bad(f.name, "not for action proxy (its dependency and toxics are in proxy)")
		}
	}
	return errs
}
