package process

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tcpListen is the st value of a LISTEN socket in /proc/net/tcp.
const tcpListen = "0A"

// parseListeners reads a /proc/net/tcp or /proc/net/tcp6 table and adds
// the inode and local port of every LISTEN socket to into.
func parseListeners(r io.Reader, into map[uint64]int) error {
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header line
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != tcpListen {
			continue
		}
		_, portHex, ok := strings.Cut(f[1], ":")
		if !ok {
			return fmt.Errorf("malformed local address %q", f[1])
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil {
			return fmt.Errorf("malformed local port %q: %w", portHex, err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return fmt.Errorf("malformed inode %q: %w", f[9], err)
		}
		if inode != 0 {
			into[inode] = int(port)
		}
	}
	return sc.Err()
}

// listeners maps the inode of every listening TCP socket (IPv4 and IPv6)
// in the worker's network namespace to its port. It asks the kernel through
// sock_diag, and reads /proc/net/tcp{,6} where that is not available.
func (fs procFS) listeners() (map[uint64]int, error) {
	if fs.root == "/proc" {
		if out, err := sockDiagListeners(); err == nil {
			return out, nil
		}
	}
	return fs.procNetListeners()
}

// procNetListeners is listeners read from /proc/net/tcp and /proc/net/tcp6.
func (fs procFS) procNetListeners() (map[uint64]int, error) {
	out := map[uint64]int{}
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(fs.root, "net", name))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && name == "tcp6" {
				continue // IPv6 disabled
			}
			return nil, fmt.Errorf("read listening sockets: %w", err)
		}
		err = parseListeners(f, out)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f.Name(), err)
		}
	}
	return out, nil
}

// portListens reports whether some socket listens on port.
func (fs procFS) portListens(port int) (bool, error) {
	ls, err := fs.listeners()
	if err != nil {
		return false, err
	}
	for _, p := range ls {
		if p == port {
			return true, nil
		}
	}
	return false, nil
}

// lowestListeningPort returns the lowest port pid listens on, 0 if none
// (or if its fds cannot be read).
func (fs procFS) lowestListeningPort(pid int, listeners map[uint64]int) int {
	inodes, err := fs.socketInodes(pid)
	if err != nil {
		return 0
	}
	lowest := 0
	for inode := range inodes {
		if p, ok := listeners[inode]; ok && (lowest == 0 || p < lowest) {
			lowest = p
		}
	}
	return lowest
}
