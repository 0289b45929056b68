package stress

import (
	"slices"
	"strings"
	"testing"
)

// TestCgroupDirs resolves a process's cgroup directories from its
// /proc/PID/cgroup and the mount table, on a cgroup v2-only host, a v1
// host with an empty unified mount beside it (as these machines), and a
// container whose hierarchy is bind-mounted from a subtree.
func TestCgroupDirs(t *testing.T) {
	for _, tc := range []struct {
		name, mountinfo, cgroup string
		want                    []string
	}{
		{
			name:      "v2 only",
			mountinfo: `30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`,
			cgroup:    "0::/system.slice/nginx.service\n",
			want:      []string{"/sys/fs/cgroup/system.slice/nginx.service"},
		},
		{
			name: "v1 beside an empty unified mount",
			mountinfo: `25 24 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
26 25 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
27 25 0:24 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
28 25 0:25 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
29 25 0:26 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
30 25 0:27 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
31 25 0:28 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`,
			cgroup: `9:name=systemd:/
8:pids:/svc
4:memory:/svc
2:cpuacct:/
1:cpu:/svc
0::/
`,
			want: []string{"/sys/fs/cgroup/cpu/svc", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/memory/svc", "/sys/fs/cgroup/unified"},
		},
		{
			name: "v1 co-mounted cpu,cpuacct",
			mountinfo: `26 25 0:23 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory`,
			cgroup: "3:cpu,cpuacct:/docker/abc\n2:memory:/docker/abc\n",
			want:   []string{"/sys/fs/cgroup/cpu,cpuacct/docker/abc", "/sys/fs/cgroup/memory/docker/abc"},
		},
		{
			name:      "container: subtree bind-mounted",
			mountinfo: `40 39 0:26 /kubepods/pod1 /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw`,
			cgroup:    "0::/kubepods/pod1/app\n",
			want:      []string{"/sys/fs/cgroup/app"},
		},
		{
			name:      "not reachable from this mount",
			mountinfo: `40 39 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw`,
			cgroup:    "0::/system.slice/other\n",
			want:      nil,
		},
		{
			name:      "escaped mount point",
			mountinfo: `40 39 0:26 / /mnt/cg\040v2 rw - cgroup2 cgroup2 rw`,
			cgroup:    "0::/a\n",
			want:      []string{"/mnt/cg v2/a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mounts, err := parseMountinfo(strings.NewReader(tc.mountinfo))
			if err != nil {
				t.Fatal(err)
			}
			ms, err := parseProcCgroup(strings.NewReader(tc.cgroup))
			if err != nil {
				t.Fatal(err)
			}
			if got := cgroupDirs(ms, mounts); !slices.Equal(got, tc.want) {
				t.Fatalf("cgroupDirs = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseMeminfo(t *testing.T) {
	m, err := parseMeminfo(strings.NewReader("MemTotal:       24683520 kB\nMemFree:        19643392 kB\nMemAvailable:   24131584 kB\n"))
	if err != nil || m.Total != 24683520<<10 || m.Available != 24131584<<10 {
		t.Fatalf("parseMeminfo = %+v, %v", m, err)
	}
	if _, err := parseMeminfo(strings.NewReader("MemTotal: 1 kB\n")); err == nil {
		t.Fatal("meminfo without MemAvailable parsed")
	}
}
