package stress

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// joinedControllers are the cgroup v1 controllers whose hierarchies the
// stressor joins: the ones that limit and account CPU and memory. Others
// (pids, freezer, devices, ...) stay the worker's, so a stressor never
// eats a service's pids.max, for example.
var joinedControllers = []string{"cpu", "cpuacct", "cpuset", "memory"}

// cgroupMount is one mounted cgroup hierarchy.
type cgroupMount struct {
	// Root is the hierarchy's path mounted at Point ("/" unless a subtree
	// is bind-mounted, as in containers).
	Root, Point string
	// V2 is the unified hierarchy; Options are a v1 hierarchy's super
	// options, its controllers among them.
	V2      bool
	Options []string
}

// parseMountinfo returns the cgroup hierarchies of a /proc/PID/mountinfo.
func parseMountinfo(r io.Reader) ([]cgroupMount, error) {
	var out []cgroupMount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// 36 35 98:0 /root /point opts [optional...] - fstype source superopts
		left, right, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) < 5 || len(rf) < 3 {
			continue
		}
		m := cgroupMount{Root: unescape(lf[3]), Point: unescape(lf[4])}
		switch rf[0] {
		case "cgroup2":
			m.V2 = true
		case "cgroup":
			// The super options: the controllers among others ("rw,cpu,cpuacct").
			m.Options = strings.Split(rf[2], ",")
		default:
			continue
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// unescape undoes mountinfo's octal escapes ("\040" for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// membership is one line of /proc/PID/cgroup: the controllers of a
// hierarchy ("" for the unified one) and the process's path in it.
type membership struct {
	Controllers []string
	Path        string
}

func parseProcCgroup(r io.Reader) ([]membership, error) {
	var out []membership
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		m := membership{Path: parts[2]}
		if parts[1] != "" {
			m.Controllers = strings.Split(parts[1], ",")
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// cgroupDirs returns the cgroup directories a stressor joins to share the
// cgroups of a process with memberships ms, given the mounted
// hierarchies: for each v1 hierarchy holding a controller of
// joinedControllers, and for the unified (v2) hierarchy, the process's
// directory in it. Hierarchies not mounted (or mounted from a subtree that
// does not hold the process) are skipped.
func cgroupDirs(ms []membership, mounts []cgroupMount) []string {
	var dirs []string
	for _, m := range ms {
		if len(m.Controllers) > 0 && !slices.ContainsFunc(m.Controllers, func(c string) bool { return slices.Contains(joinedControllers, c) }) {
			continue
		}
		for _, mt := range mounts {
			if len(m.Controllers) == 0 && !mt.V2 || len(m.Controllers) > 0 && (mt.V2 || !containsAll(mt.Options, m.Controllers)) {
				continue
			}
			rel, ok := within(mt.Root, m.Path)
			if !ok {
				continue
			}
			dirs = append(dirs, filepath.Join(mt.Point, rel))
			break
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// within returns p relative to root if p is root or below it.
func within(root, p string) (string, bool) {
	root, p = path.Clean(root), path.Clean(p)
	if root == "/" {
		return p, true
	}
	if p == root {
		return "/", true
	}
	rest, ok := strings.CutPrefix(p, root+"/")
	return "/" + rest, ok
}

func containsAll(set, items []string) bool {
	for _, it := range items {
		if !slices.Contains(set, it) {
			return false
		}
	}
	return true
}

// processCgroups returns the cgroup directories of pid that a stressor
// joins (see cgroupDirs), reading /proc of fs.
func (fs procFS) processCgroups(pid int) ([]string, error) {
	f, err := os.Open(fs.path(pid, "cgroup"))
	if err != nil {
		return nil, fmt.Errorf("cgroups of pid %d: %w", pid, err)
	}
	defer f.Close()
	ms, err := parseProcCgroup(f)
	if err != nil {
		return nil, fmt.Errorf("cgroups of pid %d: %w", pid, err)
	}
	mi, err := os.Open(filepath.Join(fs.root, "self", "mountinfo"))
	if err != nil {
		return nil, fmt.Errorf("cgroup mounts: %w", err)
	}
	defer mi.Close()
	mounts, err := parseMountinfo(mi)
	if err != nil {
		return nil, fmt.Errorf("cgroup mounts: %w", err)
	}
	return cgroupDirs(ms, mounts), nil
}

// joinCgroups moves pid into each directory (cgroup.procs).
func joinCgroups(pid int, dirs []string) error {
	for _, dir := range dirs {
		err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("cgroup %s is gone: %w", dir, err)
			}
			return fmt.Errorf("join cgroup %s: %w", dir, err)
		}
	}
	return nil
}
