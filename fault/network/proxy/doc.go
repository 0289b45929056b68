// Package proxy is the proxy driver of the "network" host fault:
// latency with jitter, bandwidth, timeouts, resets, slow closes, data
// limits and a proxy taken down, on TCP connections to one dependency,
// through Toxiproxy (github.com/Shopify/toxiproxy/v2 v2.12.0). Linux only.
//
// Namespaces are opened and identified by package netnsid and rates
// parsed by package bitrate, as package network does; this package does
// not import network, so network's kind can import it.
//
// The API mirrors package network's: a Spec (JSON, validated by
// Spec.Check, whose errors name the field: "toxics[1].toxicity: ..."),
// and a Driver whose Inject returns a State of exactly what it added,
// whose Revert removes exactly that, and whose Leftovers and CleanupRun
// find and remove what a crashed worker left, by run.
//
// # Modes
//
// Named: the toxics go on a proxy of a Toxiproxy server the user runs
// (Spec.Server, Spec.Proxy), named ToxicName(run, fault, injection, i):
// "tempest_RUN_HASH_i" (RUN escaped for a URL path), so a run's toxics
// are found by listing the server (NamedLeftovers). Revert deletes exactly those. Down disables
// the proxy, after adding a marker toxic (toxicity 0, no effect) named
// for the injection, so a revert without the State knows it is
// Tempest's to enable again; a proxy someone else disabled is left so.
//
// Transparent (the default): the worker embeds a proxy for the fault
// (Toxiproxy's toxic chain, in process) and adds an nftables table that
// redirects the target namespace's new TCP connections to Dependency
// (IP:port) into it, so the application needs no change and still dials
// the dependency's own address. The table, family ip or ip6, is named
// TableName(run, fault, injection) ("tempestpx_" and 16 hex digits):
//
//	chain marker { counter comment "{run, fault, injection, dependency, listen}" }
//	chain output { type nat hook output priority -100; policy accept;
//	               meta mark MARK return
//	               ip daddr DEP tcp dport PORT counter redirect to :LISTEN }
//
// The proxy listens on 127.0.0.1 (::1 for an IPv6 dependency) on a port
// the kernel picks, inside the target namespace: its socket is opened on
// an OS thread that entered the namespace (setns), so the redirect works
// in the worker's namespace, a named one (/run/netns/NAME) or a
// process's (by pid) alike (Spec.Namespace, Spec.PID: the caller sets
// them from the fault's target). The proxy dials the dependency from the
// same namespace with socket mark Driver.Mark (default DefaultMark),
// which the first rule exempts, so its own connections are never
// redirected.
// Only connections opened after Inject go through the proxy (NAT acts
// on a connection's first packet): a pool's open connections keep going
// straight to the dependency until they reconnect. Only traffic the
// namespace sends itself is redirected (hook output), not traffic it
// forwards. As in Toxiproxy itself, a connection one side half-closes
// (shutdown for writing) is closed whole by the proxy.
//
// # A worker's crash
//
// The embedded proxy lives in the worker process. If the worker dies,
// the proxy dies with it while the redirect stays: new connections to
// the dependency are refused (redirected to a port nothing listens on)
// until the revert runs: the latency fault has become a partition.
// Revert by the next worker (from the State, or RevertInjection from the
// request), or `tempest cleanup` (LeftoversEverywhere finds the table by
// its prefix and marker), removes the table. An Inject after a restart
// starts a new proxy and atomically replaces the table to point at it.
// A proxy whose table disappears (reverted by another worker, or
// cleaned up) stops itself within 5 s.
//
// # Contract
//
//   - Inject is idempotent: the same run, fault and injection replace
//     their own toxics and table (and keep this worker's running proxy).
//     A nil error means everything is in place. On an error after
//     something was added that could not be taken back, the State to
//     revert is returned with it; otherwise the State is zero.
//   - Revert removes the table first (new connections go straight to the
//     dependency), then stops this worker's proxy, which closes the
//     connections through it; named, it deletes the toxics and enables a
//     proxy it disabled. Objects already gone, a namespace gone (found by
//     its nsfs identity), a proxy gone and the zero State all count as
//     reverted: Revert is idempotent.
//   - State is plain JSON (EncodeState gives a one-key map for a
//     fault.State); it holds names, addresses and identities, no secrets
//     (a server URL with credentials is refused).
//   - Errors: a bad spec is errkind.InvalidSpec, a missing namespace,
//     pid or named proxy errkind.UnknownTarget, a permission problem
//     errkind.Forbidden, a proxy of the worker's own connections to
//     Temporal (Driver.TemporalAddress, unless AllowSelfCut) or a
//     namespace whose loopback is down errkind.Refused; an unreachable
//     server is left retryable.
//   - Every call to a Toxiproxy server is bounded by ctx and 15 s.
//
// Kernel needs: nf_tables with the ip/ip6 nat chain type and the redir
// expression; CAP_NET_ADMIN in the target namespace (and CAP_SYS_ADMIN
// to enter another).
package proxy
