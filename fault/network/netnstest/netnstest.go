// Package netnstest makes the network namespaces and veth pairs that the
// network fault's tests (and other tests of host faults) act on, so that
// no test traffic leaves them. It is for tests only: every helper fails
// the test (never skips it) when it cannot do its job, and removes what
// it made in the test's Cleanup. It needs root, as CI has.
package netnstest

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// RequireRoot fails t without root: CI runs these tests as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("needs root (network namespaces, nftables, tc): run as root, as CI does")
	}
}

var counter atomic.Int64

// New makes a named network namespace ("PREFIX-PID-N" in /run/netns),
// removed in Cleanup.
func New(t testing.TB, prefix string) string {
	t.Helper()
	RequireRoot(t)
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), counter.Add(1))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	h, err := netns.NewNamed(name)
	if err != nil {
		t.Fatalf("new netns %s: %v", name, err)
	}
	_ = h.Close()
	if err := netns.Set(orig); err != nil {
		panic(err) // this thread is in the wrong namespace: do not let it run anything else
	}
	t.Cleanup(func() { _ = netns.DeleteNamed(name) })
	return name
}

// In runs f on a thread in namespace name; sockets f makes stay there.
func In(t testing.TB, name string, f func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := netns.Set(h); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			panic(err)
		}
	}()
	f()
}

// Pair joins namespaces a and b with a veth pair, eth0 in each, and sets
// lo and eth0 up in both; eth0 gets the addresses (CIDRs: "10.0.0.1/24",
// "fd00::1/64", usable at once) of aAddrs in a and bAddrs in b.
func Pair(t testing.TB, a, b string, aAddrs, bAddrs []string) {
	t.Helper()
	ah, err := netns.GetFromName(a)
	if err != nil {
		t.Fatal(err)
	}
	defer ah.Close()
	bh, err := netns.GetFromName(b)
	if err != nil {
		t.Fatal(err)
	}
	defer bh.Close()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: "eth0", Namespace: netlink.NsFd(ah)},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsFd(bh),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("veth: %v", err)
	}
	for _, side := range []struct {
		ns    netns.NsHandle
		addrs []string
	}{{ah, aAddrs}, {bh, bAddrs}} {
		h, err := netlink.NewHandleAt(side.ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"lo", "eth0"} {
			l, err := h.LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			if name == "eth0" {
				for _, a := range side.addrs {
					addr, err := netlink.ParseAddr(a)
					if err != nil {
						t.Fatalf("address %q: %v", a, err)
					}
					addr.Flags = unix.IFA_F_NODAD
					if err := h.AddrAdd(l, addr); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := h.LinkSetUp(l); err != nil {
				t.Fatal(err)
			}
		}
		h.Close()
	}
}
