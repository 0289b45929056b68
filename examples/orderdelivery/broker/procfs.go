package broker

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 || end+2 >= len(s) {
		return false
	}
	state := s[end+2]
	return state != 'Z' && state != 'X'
}

// clusterProcesses lists the live processes whose environment carries the
// cluster marker for stateDir: its Erlang VMs, their helpers and its epmd.
func clusterProcesses(stateDir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if inCluster(pid, stateDir) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// inCluster reports whether pid's environment carries the marker of stateDir.
func inCluster(pid int, stateDir string) bool {
	env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return false
	}
	want := []byte(markerEnv + "=" + stateDir)
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}
