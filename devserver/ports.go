package devserver

import (
	"fmt"
	"net"
	"strconv"
)

// freePort asks the kernel for a TCP port that is free on ip right now.
// Another process may take it before it is used; callers accept that race.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: find a free port on %s: %w", ip, err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// checkPortFree fails when something already listens on ip:port.
func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		return fmt.Errorf("devserver: port %d on %s is not available: %w", port, ip, err)
	}
	return l.Close()
}

// hostPort joins ip and port, bracketing IPv6 addresses.
func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}
