package process

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Sizes and offsets of the inet_diag structures (linux/inet_diag.h).
const (
	inetDiagReqV2Len  = 56 // struct inet_diag_req_v2
	inetDiagMsgLen    = 72 // struct inet_diag_msg
	inetDiagSportOff  = 4  // id.idiag_sport (big endian) in inet_diag_msg
	inetDiagInodeOff  = 68 // idiag_inode in inet_diag_msg
	tcpListenState    = 10 // TCP_LISTEN
	sockDiagRecvLimit = time.Second
)

// sockDiagListeners asks the kernel (NETLINK_SOCK_DIAG) for the listening
// TCP sockets of the worker's network namespace and maps their inodes to
// their ports. Unlike /proc/net/tcp, whose reading walks every connection
// (milliseconds on a host with many), the kernel walks listeners only.
func sockDiagListeners() (map[uint64]int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(sockDiagRecvLimit.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("sock_diag timeout: %w", err)
	}
	out := map[uint64]int{}
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		if err := sockDiagDump(fd, family, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sockDiagDump dumps the listening TCP sockets of one address family.
func sockDiagDump(fd int, family uint8, into map[uint64]int) error {
	req := make([]byte, unix.SizeofNlMsghdr+inetDiagReqV2Len)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], uint32(family)) // sequence number
	body := req[unix.SizeofNlMsghdr:]
	body[0] = family
	body[1] = unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(body[4:], 1<<tcpListenState)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("sock_diag request: %w", err)
	}
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("sock_diag receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("sock_diag parse: %w", err)
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
						return fmt.Errorf("sock_diag: %w", syscall.Errno(-errno))
					}
				}
				return nil
			}
			if len(m.Data) < inetDiagMsgLen {
				continue
			}
			port := binary.BigEndian.Uint16(m.Data[inetDiagSportOff:])
			if inode := binary.NativeEndian.Uint32(m.Data[inetDiagInodeOff:]); inode != 0 {
				into[uint64(inode)] = int(port)
			}
		}
	}
}
