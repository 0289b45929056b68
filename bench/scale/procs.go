package scale

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on every
// Linux architecture Go supports).
const clockTicks = 100

// cpuSeconds is the CPU time of the processes pids and of all their
// descendants: live ones from their own stat, ended and reaped ones from
// their parents' cumulative children's times.
func cpuSeconds(pids []int) float64 {
	children := childrenByParent()
	var ticks int64
	var walk func(pid int)
	seen := map[int]bool{}
	walk = func(pid int) {
		if seen[pid] {
			return
		}
		seen[pid] = true
		if f, ok := statFields(pid); ok && len(f) > 14 {
			for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
				v, _ := strconv.ParseInt(f[i], 10, 64)
				ticks += v
			}
		}
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, p := range pids {
		walk(p)
	}
	return float64(ticks) / clockTicks
}

// statFields are /proc/PID/stat's fields after the command name, so f[0]
// is the state (field 3) and f[11] utime (field 14).
func statFields(pid int) ([]string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(s[i+1:]), true
}

func childrenByParent() map[int][]int {
	out := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, ok := statFields(pid); ok && len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			out[ppid] = append(out[ppid], pid)
		}
	}
	return out
}

// kubePIDs are the local cluster's control-plane processes (etcd, the API
// server, controller manager, scheduler and kwok) from its pid files.
func kubePIDs(root string) []int {
	state := os.Getenv("TEMPEST_KUBE_STATE")
	if state == "" {
		base := os.Getenv("TEMPEST_STATE")
		if base == "" {
			base = filepath.Join(root, ".tempest")
		}
		state = filepath.Join(base, "local-cluster")
	}
	var pids []int
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		if pid, err := readPID(filepath.Join(state, "pids", name+".pid")); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// WorkerFigures reads a worker's resident memory and goroutines from its
// Prometheus endpoint.
func WorkerFigures(url string) (rss, goroutines float64, err error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, 0, fmt.Errorf("worker metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			rss, _ = strconv.ParseFloat(value, 64)
		case "go_goroutines":
			goroutines, _ = strconv.ParseFloat(value, 64)
		}
	}
	if rss == 0 || goroutines == 0 {
		return 0, 0, fmt.Errorf("no process_resident_memory_bytes or go_goroutines at %s", url)
	}
	return rss, goroutines, nil
}

// Quantile is the q quantile of ds (nearest rank); 0 for none.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}
