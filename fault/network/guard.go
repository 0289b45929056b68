package network

import (
	"context"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/tempest-chaos/tempest/errkind"
)

// guardSelfCut refuses c when it could match the worker's TCP traffic to
// temporal (host:port), in either orientation: the worker's packets to
// it (Temporal the remote end) or, when Temporal listens on this host,
// Temporal's own packets (Temporal the local end). What cannot be known
// (the worker's ephemeral port, an unresolvable host) counts as a match.
func guardSelfCut(ctx context.Context, c compiled, temporal string) error {
	host, portStr, err := net.SplitHostPort(temporal)
	if err != nil {
		return errkind.New(errkind.InvalidSpec, "temporal address %q: %v", temporal, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return errkind.New(errkind.InvalidSpec, "temporal address %q: bad port", temporal)
	}
	var ips []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{a.Unmap()}
	} else if got, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host); err == nil {
		for _, a := range got {
			ips = append(ips, a.Unmap())
		}
	}
	local := localAddrs()
	if cut, why := selfCut(c, ips, uint16(port), local, ephemeralPorts(), routeIfName); cut {
		return errkind.New(errkind.Refused, "%s %s would cut the worker's connection to Temporal at %s (%s); set allowSelfCut to allow it",
			c.spec.Action, describe(c), temporal, why)
	}
	return nil
}

// selfCut reports whether c could match traffic between the worker and
// Temporal at one of ips (none: unknown) and port. The worker's end is
// one of local, on a port in ephemeral. ifName returns the interface the
// host routes an address through ("" when unknown).
func selfCut(c compiled, ips []netip.Addr, port uint16, local []netip.Addr, ephemeral [2]uint16, ifName func(netip.Addr) string) (bool, string) {
	if c.protocols != nil && !slices.Contains(c.protocols, TCP) {
		return false, ""
	}
	candidates := ips
	if len(candidates) == 0 {
		candidates = []netip.Addr{{}} // unknown: matches any CIDR
	}
	for _, ip := range candidates {
		if c.spec.Interface != "" && ip.IsValid() {
			if name := ifName(ip); name != "" && name != c.spec.Interface {
				continue
			}
		}
		// The worker's packets to Temporal: Temporal is the remote end.
		if endpointMatches(c.dst, ip, port) && endpointMayMatch(c.src, local, ephemeral) {
			return true, "its destination filter matches Temporal"
		}
		// Temporal on this host: it is the local end of its own packets.
		isLocal := !ip.IsValid() || ip.IsLoopback() || slices.Contains(local, ip)
		if isLocal && endpointMatches(c.src, ip, port) && endpointMayMatch(c.dst, local, ephemeral) {
			return true, "Temporal listens on this host and its source filter matches it"
		}
	}
	return false, ""
}

// endpointMatches: e matches address ip (invalid: unknown, matches) and port.
func endpointMatches(e endpoint, ip netip.Addr, port uint16) bool {
	if len(e.ports) > 0 && !slices.Contains(e.ports, port) {
		return false
	}
	if len(e.prefixes) == 0 || !ip.IsValid() {
		return true
	}
	for _, p := range e.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// endpointMayMatch: e may match the worker's end (one of local, a port
// in ephemeral).
func endpointMayMatch(e endpoint, local []netip.Addr, ephemeral [2]uint16) bool {
	if len(e.ports) > 0 && !slices.ContainsFunc(e.ports, func(p uint16) bool { return p >= ephemeral[0] && p <= ephemeral[1] }) {
		return false
	}
	if len(e.prefixes) == 0 || len(local) == 0 {
		return true
	}
	for _, p := range e.prefixes {
		for _, a := range local {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// ephemeralPorts is the worker's namespace's local port range (all ports
// when it cannot be read).
func ephemeralPorts() [2]uint16 {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return [2]uint16{1, 65535}
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return [2]uint16{1, 65535}
	}
	lo, err1 := strconv.ParseUint(f[0], 10, 16)
	hi, err2 := strconv.ParseUint(f[1], 10, 16)
	if err1 != nil || err2 != nil || lo > hi {
		return [2]uint16{1, 65535}
	}
	return [2]uint16{uint16(lo), uint16(hi)}
}

// localAddrs are the addresses of the worker's network namespace.
func localAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}

// routeIfName is the interface the worker's namespace routes ip through.
func routeIfName(ip netip.Addr) string {
	routes, err := netlink.RouteGet(ip.AsSlice())
	if err != nil || len(routes) == 0 {
		return ""
	}
	link, err := netlink.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return ""
	}
	return link.Attrs().Name
}

// describe summarizes c's filters for a message.
func describe(c compiled) string {
	var parts []string
	for _, m := range matches(c, Egress) {
		if m.desc != "" {
			parts = append(parts, m.desc)
		}
	}
	if len(parts) == 0 {
		return "of all traffic"
	}
	if len(parts) > 3 {
		parts = append(parts[:3], "...")
	}
	return "matching " + strings.Join(parts, " or ")
}
