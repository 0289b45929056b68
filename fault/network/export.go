package network

import "github.com/vishvananda/netns"

// The helpers below let drivers beside this one (fault/network/proxy)
// open namespaces and read rates exactly as this driver does.

// OpenNamespace opens t's network namespace as Inject does: a missing
// one is errkind.UnknownTarget naming the field (namespace or pid). It
// returns the namespace's identity and an open handle; close the handle.
func OpenNamespace(t Target) (Namespace, netns.NsHandle, error) {
	o, err := open(t)
	if err != nil {
		return Namespace{}, netns.None(), err
	}
	return o.ns, o.h, nil
}

// ReopenNamespace finds the namespace ns records by its nsfs identity,
// as Revert does; ok is false when it no longer exists. Close the handle.
func ReopenNamespace(ns Namespace) (h netns.NsHandle, ok bool) {
	o, _ := reopen(ns)
	if o == nil {
		return netns.None(), false
	}
	return o.h, true
}

// IsWorkerNamespace reports whether ns is the worker's own network
// namespace (true when that cannot be told).
func IsWorkerNamespace(ns Namespace) bool { return isSelf(ns) }

// ParseRate parses a rate such as "512kbit" or "1mbit" (bit, kbit, mbit,
// gbit; powers of 1000) into bits per second, as Spec.Rate is read.
func ParseRate(s string) (bitsPerSecond uint64, err error) { return parseRate(s) }
