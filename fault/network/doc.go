// Package network is the kernel driver of the "network" host fault: it
// partitions, drops a share of, or caps the bandwidth of a host's
// traffic, in the worker's own network namespace, a named one
// (/run/netns/NAME) or that of a process (by pid), through nftables and
// traffic control over netlink only (github.com/google/nftables,
// github.com/vishvananda/netlink); it never runs nft, tc or ip. Linux only.
//
// The API is small: a Spec (JSON, validated by Spec.Validate, whose
// errors name the field: "destination.cidrs[1]: ..."), and a Driver whose
// Inject returns a State of exactly what it added, whose Revert removes
// exactly that, and whose Leftovers and CleanupRun find and remove what a
// crashed worker left, by run, in one namespace or (CleanupRunEverywhere)
// in every namespace on the host.
//
// # What an injection adds
//
// One nftables table, family inet (IPv4 and IPv6), per injection, named
// TableName(runID, fault, injection): "tempest_" and 16 hex digits of a
// SHA-256 of the three. It holds:
//   - chain "marker", a regular chain whose one rule carries a Marker
//     comment (JSON: run, fault, injection, and the qdisc added, if any):
//     this is how Leftovers attributes a table to its run;
//   - per direction, a base chain "ingress" (hook input) or "egress"
//     (hook output), priority -300 (before conntrack and every filter
//     chain), policy accept, with one rule per combination of the spec's
//     filters (interface, CIDRs, protocols, ports), each a goto to
//   - the direction's action chain "act_ingress" or "act_egress", one rule:
//     partition: counter drop; loss: numgen random mod 10000 < percent*100
//     counter drop; bandwidth (shaper nftables): limit rate over RATE
//     bytes/second burst BURST bytes counter drop. Each packet is judged
//     at most once per direction, and each direction has one limiter.
//
// The whole table is added in one nftables transaction: it is in place,
// and in effect, when Inject returns, or not at all. A drop in any base
// chain is final, so an operator's accept rules do not undo the fault,
// and Tempest never edits anyone else's table.
//
// With shaper tbf, bandwidth is shaped instead by a tbf qdisc at the root
// of Interface (egress only, the whole interface), with a handle derived
// from the table name, and only when the root qdisc is the kernel's
// default (handle 0): an operator's root qdisc is never replaced; Inject
// refuses (errkind.Refused) naming it. The marker table is added first,
// so a crash after the qdisc is added leaves it findable.
//
// Filters: Destination is the remote end and Source the namespace's own
// end, named as for an egress packet; on ingress the packet's source is
// the remote end. Ports match TCP and UDP unless Protocol says one.
// Loopback traffic crosses both hooks: with no filter, "both" judges a
// loopback packet twice.
//
// # Contract
//
//   - Inject is idempotent: injecting the same run, fault and injection
//     again atomically replaces its own table (and keeps its own qdisc).
//     A nil error means everything is in place. On an error after
//     something was added that could not be taken back, the State to
//     revert is returned with it; otherwise the State is zero.
//   - Revert removes the recorded qdisc if it is still the root qdisc of
//     its link with the recorded handle and kind, then the recorded table,
//     and nothing else. Objects already gone, a namespace gone (found by
//     its nsfs identity, not its name or pid, so a recreated namespace or
//     a recycled pid is never touched), and the zero State all count as
//     reverted: Revert is idempotent.
//   - State is plain JSON (EncodeState gives a one-key map for a
//     fault.State); it holds names, handles and identities, no secrets.
//   - Self-cut guard: when Driver.TemporalAddress is set, a partition or
//     loss in the worker's own namespace that could match the worker's
//     TCP traffic to Temporal (either way; what cannot be known, such as
//     the worker's ephemeral port or an unresolvable host, counts as a
//     match) is refused (errkind.Refused) unless Spec.AllowSelfCut.
//     Other namespaces are not guarded.
//   - Errors: a bad spec is errkind.InvalidSpec, a missing namespace, pid
//     or interface errkind.UnknownTarget, a permission problem
//     errkind.Forbidden, a guard errkind.Refused; each names its field.
//   - RevertInjection reverts from the request alone (spec, run, fault,
//     injection), for an Inject whose State was lost: the table name is
//     derived from them, the qdisc read from the table's marker.
//   - Every method checks ctx before it changes anything; each netlink
//     call after that is bounded by the kernel's answer (milliseconds).
//
// Kernel needs: nf_tables with the inet family, numgen, limit and
// counter expressions; sch_tbf for shaper tbf. It needs CAP_NET_ADMIN in
// the target namespace (and CAP_SYS_ADMIN to enter another).
package network
