package process

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestParseStatHandlesHostileComm(t *testing.T) {
	// comm may hold spaces and parentheses; field 22 is the start time.
	line := "4242 (a) b (c) T 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != 4242 || st.Comm != "a) b (c" || st.State != 'T' || st.StartTime != 987654 || !st.stopped() || st.dead() {
		t.Fatalf("parsed %+v", st)
	}
	for _, bad := range []string{"", "4242 (x", "x (y) S 1", "1 (y) S 1 2 3"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestParseListenersKeepsOnlyListenSockets(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:46A0 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:46A0 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1
   2: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
`
	got := map[uint64]int{}
	if err := parseListeners(strings.NewReader(table), got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[111] != 18080 || got[333] != 80 {
		t.Fatalf("listeners = %v, want 111:18080 and 333:80", got)
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{
		"": syscall.SIGKILL, "SIGKILL": syscall.SIGKILL, "KILL": syscall.SIGKILL, "9": syscall.SIGKILL,
		"sigterm": syscall.SIGTERM, "TERM": syscall.SIGTERM, "15": syscall.SIGTERM, "SIGUSR1": syscall.SIGUSR1,
	} {
		if got, err := parseSignal(in); err != nil || got != want {
			t.Errorf("parseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "65", "SIGNOPE", "-9"} {
		if _, err := parseSignal(bad); err == nil {
			t.Errorf("parseSignal(%q) succeeded", bad)
		}
	}
}

// Both ways of listing listeners agree, on real sockets (IPv4 and IPv6).
func TestSockDiagAgreesWithProcNet(t *testing.T) {
	l4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Close()
	l6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatalf("IPv6 loopback listen: %v", err)
	}
	defer l6.Close()
	fs := procFS{root: "/proc"}
	diag, err := sockDiagListeners()
	if err != nil {
		t.Fatalf("sock_diag: %v", err)
	}
	proc, err := fs.procNetListeners()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []net.Listener{l4, l6} {
		port := l.Addr().(*net.TCPAddr).Port
		if !hasPort(diag, port) || !hasPort(proc, port) {
			t.Fatalf("port %d: in sock_diag %t, in /proc/net %t", port, hasPort(diag, port), hasPort(proc, port))
		}
	}
	for inode, port := range diag {
		if proc[inode] != port {
			t.Errorf("inode %d: sock_diag port %d, /proc/net port %d", inode, port, proc[inode])
		}
	}
	// Our own listener's inode maps to this process.
	inodes, err := fs.socketInodes(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := fs.lowestListeningPort(os.Getpid(), diag); got == 0 || !inodesHold(inodes, diag, l4.Addr().(*net.TCPAddr).Port) {
		t.Fatalf("own listening sockets not found (lowest %d)", got)
	}
}

func hasPort(ls map[uint64]int, port int) bool {
	for _, p := range ls {
		if p == port {
			return true
		}
	}
	return false
}

func inodesHold(inodes map[uint64]bool, ls map[uint64]int, port int) bool {
	for inode := range inodes {
		if ls[inode] == port {
			return true
		}
	}
	return false
}
