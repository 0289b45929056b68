// Package netnsid opens network namespaces the way Tempest's network
// faults name them (a name in /run/netns, a process's pid, or the
// worker's own) and identifies each by its nsfs device and inode, so a
// revert acts only in the very namespace its inject did: a recreated
// namespace of the same name, or a recycled pid, is never taken for it.
// Packages fault/network and fault/network/proxy share it.
package netnsid

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/errkind"
)

// Dir is where `ip netns add` bind-mounts named namespaces.
const Dir = "/run/netns"

// Namespace identifies the network namespace an injection acts in: how
// it was named (Name, PID, or neither for the worker's own) and its
// identity (the nsfs device and inode), which a revert checks before
// acting, so a recreated namespace of the same name, or a recycled pid,
// is never mistaken for it.
type Namespace struct {
	Name  string `json:"name,omitempty"`
	PID   int    `json:"pid,omitempty"`
	Dev   uint64 `json:"dev"`
	Inode uint64 `json:"inode"`
}

func (n Namespace) String() string {
	switch {
	case n.Name != "":
		return fmt.Sprintf("netns %q", n.Name)
	case n.PID != 0:
		return fmt.Sprintf("netns of pid %d", n.PID)
	default:
		return "the worker's netns"
	}
}

// Target names a namespace to look in: Name, PID, or neither for the
// worker's own.
type Target struct {
	Name string `json:"name,omitempty"`
	PID  int    `json:"pid,omitempty"`
}

// Path is the file that names t's namespace.
func (t Target) Path() string {
	switch {
	case t.Name != "":
		return filepath.Join(Dir, t.Name)
	case t.PID != 0:
		return fmt.Sprintf("/proc/%d/ns/net", t.PID)
	default:
		return "/proc/self/ns/net"
	}
}

// Handle is an open network namespace: its identity and an fd on it.
type Handle struct {
	NS Namespace
	H  netns.NsHandle
}

// Close closes the fd.
func (o *Handle) Close() { _ = o.H.Close() }

// Open opens t's namespace; a missing one is errkind.UnknownTarget
// naming the field (namespace or pid), a permission problem
// errkind.Forbidden.
func Open(t Target) (*Handle, error) {
	h, err := netns.GetFromPath(t.Path())
	if err != nil {
		field, val := "namespace", strconv.Quote(t.Name)
		if t.PID != 0 {
			field, val = "pid", strconv.Itoa(t.PID)
		}
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return nil, errkind.New(errkind.UnknownTarget, "%s: %s: no such network namespace (%s)", field, val, t.Path())
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, errkind.New(errkind.Forbidden, "%s: %s: %w", field, val, err)
		}
		return nil, fmt.Errorf("%s: open %s: %w", field, t.Path(), err)
	}
	dev, ino, err := nsIdentity(int(h))
	if err != nil {
		_ = h.Close()
		return nil, fmt.Errorf("%s: %w", t.Path(), err)
	}
	return &Handle{NS: Namespace{Name: t.Name, PID: t.PID, Dev: dev, Inode: ino}, H: h}, nil
}

// nsIdentity returns the nsfs device and inode of an open namespace fd,
// refusing anything that is not a network namespace.
func nsIdentity(fd int) (dev, ino uint64, err error) {
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return 0, 0, err
	}
	if fs.Type != unix.NSFS_MAGIC {
		return 0, 0, errors.New("not a namespace file")
	}
	if t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE); err == nil && t != unix.CLONE_NEWNET {
		return 0, 0, errors.New("not a network namespace")
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, 0, err
	}
	return st.Dev, st.Ino, nil
}

// Reopen finds the namespace ns records: first where it was named, then
// among the named namespaces and every process's. It returns nil when
// the namespace no longer exists (and with it everything an injection
// added there).
func Reopen(ns Namespace) *Handle {
	if o := openIfSame(Target{Name: ns.Name, PID: ns.PID}.Path(), ns); o != nil {
		return o
	}
	var candidates []string
	if ents, err := os.ReadDir(Dir); err == nil {
		for _, e := range ents {
			candidates = append(candidates, filepath.Join(Dir, e.Name()))
		}
	}
	if ents, err := os.ReadDir("/proc"); err == nil {
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err == nil {
				candidates = append(candidates, filepath.Join("/proc", e.Name(), "ns/net"))
			}
		}
	}
	for _, path := range candidates {
		if o := openIfSame(path, ns); o != nil {
			return o
		}
	}
	return nil
}

// openIfSame opens path if it is the namespace ns records; nil otherwise.
func openIfSame(path string, ns Namespace) *Handle {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Dev != ns.Dev || st.Ino != ns.Inode {
		return nil
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		return nil // gone between stat and open
	}
	dev, ino, err := nsIdentity(int(h))
	if err != nil || dev != ns.Dev || ino != ns.Inode {
		_ = h.Close()
		return nil
	}
	return &Handle{NS: ns, H: h}
}

// IsSelf reports whether ns is the worker's own network namespace (true
// when that cannot be told).
func IsSelf(ns Namespace) bool {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		return true // cannot tell: guard as if it were
	}
	return st.Dev == ns.Dev && st.Ino == ns.Inode
}

// All returns every network namespace reachable now: the
// worker's own, the named ones (/run/netns) and those of processes,
// each once, for a cleanup that scans them all.
func All() []Target {
	seen := map[[2]uint64]bool{}
	var out []Target
	add := func(t Target) {
		var st unix.Stat_t
		if unix.Stat(t.Path(), &st) != nil || seen[[2]uint64{st.Dev, st.Ino}] {
			return
		}
		seen[[2]uint64{st.Dev, st.Ino}] = true
		out = append(out, t)
	}
	add(Target{})
	if ents, err := os.ReadDir(Dir); err == nil {
		for _, e := range ents {
			add(Target{Name: e.Name()})
		}
	}
	if ents, err := os.ReadDir("/proc"); err == nil {
		for _, e := range ents {
			if pid, err := strconv.Atoi(e.Name()); err == nil {
				add(Target{PID: pid})
			}
		}
	}
	return out
}
