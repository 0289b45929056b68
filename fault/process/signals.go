package process

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
)

// send delivers sig to the target if it is still the selected process;
// errGone otherwise.
func (p *Process) send(ti targetInfo, sig syscall.Signal) error {
	h, err := p.open(ti)
	if err != nil {
		return err
	}
	defer h.close()
	return h.signal(sig)
}

// kill sends sig and waits until the target is gone. killed is false when
// the target was gone already (an earlier attempt killed it, or it died).
func (p *Process) kill(ctx context.Context, ti targetInfo, sig syscall.Signal) (killed bool, err error) {
	h, err := p.open(ti)
	if errors.Is(err, errGone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer h.close()
	err = h.signal(sig)
	if errors.Is(err, errGone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := h.waitExit(ctx, p, p.KillWait); err != nil {
		return true, fmt.Errorf("pid %d after %s: %w", ti.PID, sig, err)
	}
	return true, nil
}

// pause stops the target and waits until it is stopped; pausing a
// stopped process succeeds. A vanished target is UnknownTarget.
func (p *Process) pause(ctx context.Context, ti targetInfo) error {
	err := p.send(ti, syscall.SIGSTOP)
	if errors.Is(err, errGone) {
		return errkind.New(errkind.UnknownTarget, "pid %d (%s) is gone; nothing to pause", ti.PID, ti.Name)
	}
	if err != nil {
		return err
	}
	return p.waitState(ctx, ti, true)
}

// resume continues a paused target; a vanished one needs nothing.
func (p *Process) resume(ctx context.Context, ti targetInfo) error {
	err := p.send(ti, syscall.SIGCONT)
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return err
	}
	return p.waitState(ctx, ti, false)
}

// waitState waits until the target is stopped (or no longer stopped); a
// target that vanishes meanwhile ends the wait without error.
func (p *Process) waitState(ctx context.Context, ti targetInfo, stopped bool) error {
	err := waitUntil(ctx, p.StopWait, func() (bool, error) {
		st, err := p.proc.alive(ti.PID, ti.StartTime)
		if errors.Is(err, errGone) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return st.stopped() == stopped, nil
	})
	if err != nil {
		return fmt.Errorf("pid %d stopped=%t: %w", ti.PID, stopped, err)
	}
	return nil
}

// errNotYet says a bounded wait ran out.
var errNotYet = errors.New("not reached in time")

// waitUntil polls done, quickly at first, until it reports true, fails,
// within passes (errNotYet) or ctx is done.
func waitUntil(ctx context.Context, within time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(within)
	pause := 200 * time.Microsecond
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (%s)", errNotYet, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 25*time.Millisecond)
	}
}
