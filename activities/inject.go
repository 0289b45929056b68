package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/fault"
)

// InjectResult is what an injection recorded for its revert.
type InjectResult struct {
	State fault.State `json:"state,omitempty"`
	// At is when the fault took effect, by the worker's clock.
	At time.Time `json:"at"`
	// Changed is set in the details of a failed Inject's error when the
	// fault changed something before it failed (a node cordoned, then its
	// eviction refused): State then says what to revert.
	Changed bool `json:"changed,omitempty"`
}

// Inject applies one fault to one target. It is idempotent.
func (a *Activities) Inject(ctx context.Context, req fault.Request) (InjectResult, error) {
	impl, err := a.fault(req.Fault)
	if err != nil {
		return InjectResult{}, classify(err)
	}
	if gone, err := a.checkIdentity(impl, req); err != nil || gone {
		if gone {
			err = errkind.New(errkind.UnknownTarget, "target %s: its host has rebooted since it was selected", req.Target.ID)
		}
		return InjectResult{}, classify(err)
	}
	beats := startPulse(ctx, nil)
	defer beats.Stop()
	if err := a.admit(ctx, req); err != nil { // fenced or run ended: change nothing
		return InjectResult{}, classify(err)
	}
	state, err := impl.Inject(ctx, req)
	if err != nil {
		a.metrics().Injected(req, err)
		// The pending ledger entry stays: a failed inject may have changed
		// something, and the watchdog reverts it once the run has ended.
		return InjectResult{}, partial(state, classify(fmt.Errorf("inject %q into %s: %w", req.Fault.Name, req.Target.ID, err)))
	}
	err = a.settle(ctx, impl, req, state)
	a.metrics().Injected(req, err)
	if err != nil {
		return InjectResult{}, classify(err)
	}
	return InjectResult{State: state, At: time.Now()}, nil
}

// RevertInput undoes one injection.
type RevertInput struct {
	Request fault.Request `json:"request"`
	State   fault.State   `json:"state,omitempty"`
}

// Revert undoes one injection. It is idempotent: a target that is already
// reverted or gone counts as reverted.
func (a *Activities) Revert(ctx context.Context, in RevertInput) (time.Time, error) {
	impl, err := a.fault(in.Request.Fault)
	if err != nil {
		return time.Time{}, classify(err)
	}
	if gone, err := a.checkIdentity(impl, in.Request); err != nil {
		return time.Time{}, classify(err)
	} else if gone {
		// Nothing a host fault did survives its host's reboot.
		a.forget(in.Request)
		a.metrics().Reverted(in.Request, nil)
		return time.Now(), nil
	}
	beats := startPulse(ctx, nil)
	defer beats.Stop()
	if err := a.fence(ctx, in.Request); err != nil { // before acting: a late inject then changes nothing
		return time.Time{}, classify(err)
	}
	err = impl.Revert(ctx, in.Request, in.State)
	a.metrics().Reverted(in.Request, err)
	if err != nil {
		return time.Time{}, classify(fmt.Errorf("revert %q on %s: %w", in.Request.Fault.Name, in.Request.Target.ID, err))
	}
	a.forget(in.Request)
	return time.Now(), nil
}

// partial marks a non-retryable inject error as one that changed
// something: a fault implementation that fails after a change returns the
// State its revert needs together with the error (fault.Fault's contract),
// and the workflow then pushes that revert.
func partial(state fault.State, err error) error {
	var appErr *temporal.ApplicationError
	if state == nil || !errors.As(err, &appErr) || !appErr.NonRetryable() {
		return err
	}
	return temporal.NewNonRetryableApplicationError(appErr.Message(), appErr.Type(), errors.Unwrap(appErr), InjectResult{State: state, Changed: true})
}
