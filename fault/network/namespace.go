package network

import (
	"github.com/vishvananda/netns"

	"github.com/tempest-chaos/tempest/fault/network/netnsid"
)

// Namespace identifies the network namespace an injection acts in: how
// it was named (Name, PID, or neither for the worker's own) and its
// identity (the nsfs device and inode), which a revert checks before
// acting, so a recreated namespace of the same name, or a recycled pid,
// is never mistaken for it. (Package netnsid, shared with the proxy
// driver, holds the code.)
type Namespace = netnsid.Namespace

// Target names a namespace to look in: Name, PID, or neither for the
// worker's own.
type Target = netnsid.Target

// openNS is an open network namespace.
type openNS struct {
	ns Namespace
	h  netns.NsHandle
}

func (o *openNS) Close() { _ = o.h.Close() }

// open opens t's namespace; a missing one is UnknownTarget naming the
// field (namespace or pid).
func open(t Target) (*openNS, error) {
	h, err := netnsid.Open(t)
	if err != nil {
		return nil, err
	}
	return &openNS{ns: h.NS, h: h.H}, nil
}

// reopen finds the namespace ns recorded by its identity. It returns
// nil, nil when the namespace no longer exists (and with it everything
// an injection added there).
func reopen(ns Namespace) (*openNS, error) {
	h := netnsid.Reopen(ns)
	if h == nil {
		return nil, nil
	}
	return &openNS{ns: h.NS, h: h.H}, nil
}

// isSelf reports whether ns is the worker's own network namespace.
func isSelf(ns Namespace) bool { return netnsid.IsSelf(ns) }

// AllNamespaces returns every network namespace reachable now: the
// worker's own, the named ones (/run/netns) and those of processes,
// each once, for a cleanup that scans them all.
func AllNamespaces() []Target { return netnsid.All() }
