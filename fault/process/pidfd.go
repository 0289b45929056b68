package process

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/errkind"
)

// handle refers to exactly the process that was selected. It holds a pidfd
// (Linux 5.3+) opened while the pid still had the selected start time, so
// a signal sent through it reaches that process or, if it died meanwhile,
// nobody, even when the pid number has been reused. Without pidfds it
// falls back to the pid (checked, then signalled).
type handle struct {
	ti targetInfo
	fd int // -1 without pidfd
}

// open returns a handle on ti; errGone when the process has exited or the
// pid now names another process.
func (p *Process) open(ti targetInfo) (handle, error) {
	fd, err := unix.PidfdOpen(ti.PID, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return handle{}, errGone
	case errors.Is(err, unix.ENOSYS):
		fd = -1
	case err != nil:
		return handle{}, fmt.Errorf("pidfd_open %d: %w", ti.PID, err)
	}
	h := handle{ti: ti, fd: fd}
	// Checked after opening: the pidfd is pinned to the process that had
	// the pid at open time, and this proves it is the selected one.
	if _, err := p.proc.alive(ti.PID, ti.StartTime); err != nil {
		h.close()
		return handle{}, err
	}
	return h, nil
}

func (h handle) close() {
	if h.fd >= 0 {
		_ = unix.Close(h.fd)
	}
}

// signal sends sig; errGone when the process has exited.
func (h handle) signal(sig syscall.Signal) error {
	var err error
	if h.fd >= 0 {
		err = unix.PidfdSendSignal(h.fd, sig, nil, 0)
	} else {
		err = syscall.Kill(h.ti.PID, sig)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ESRCH):
		return errGone
	case errors.Is(err, unix.EPERM):
		return errkind.New(errkind.Forbidden, "send %s to pid %d: %w", sig, h.ti.PID, err)
	default:
		return fmt.Errorf("send %s to pid %d: %w", sig, h.ti.PID, err)
	}
}

// waitExit waits until the process has exited (a zombie counts), at most
// within; the kernel wakes it the moment the process exits.
func (h handle) waitExit(ctx context.Context, p *Process, within time.Duration) error {
	if h.fd < 0 {
		return waitUntil(ctx, within, func() (bool, error) {
			_, err := p.proc.alive(h.ti.PID, h.ti.StartTime)
			if errors.Is(err, errGone) {
				return true, nil
			}
			return false, err
		})
	}
	deadline := time.Now().Add(within)
	for {
		// Poll in slices so a done ctx is noticed promptly.
		slice := min(time.Until(deadline), 50*time.Millisecond)
		fds := []unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(max(slice, 0).Milliseconds()))
		switch {
		case errors.Is(err, unix.EINTR):
		case err != nil:
			return fmt.Errorf("poll pidfd of %d: %w", h.ti.PID, err)
		case n > 0:
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (%s)", errNotYet, within)
		}
	}
}
