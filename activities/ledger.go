package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/fault"
)

// LedgerStatus says how far an injection got.
type LedgerStatus string

const (
	// LedgerPending: recorded before the fault acted; it may or may not have.
	LedgerPending LedgerStatus = "pending"
	// LedgerInjected: the fault's Inject returned; State is what it recorded.
	LedgerInjected LedgerStatus = "injected"
)

// LedgerEntry is one injection a worker put in place (or was about to).
type LedgerEntry struct {
	Request fault.Request `json:"request"`
	State   fault.State   `json:"state,omitempty"`
	Status  LedgerStatus  `json:"status"`
	Updated time.Time     `json:"updated"`
}

// Ledger is a worker's durable record of the injections it put in place,
// in Dir. Inject records an entry (the request) before the fault acts,
// synced, and then the State the fault returned beside it, not synced: a
// machine crash may lose that State, and a revert with an empty State is
// right by fault.Fault's contract. A revert that succeeds removes both.
// Whatever stays is what the watchdog and `tempest cleanup` revert once
// its run has ended. Workers sharing Dir (one host) share the ledger.
type Ledger struct {
	Dir string
}

const (
	ledgerPrefix = "injection-"
	entrySuffix  = ".json"
	stateSuffix  = ".state"
)

func (l *Ledger) path(req fault.Request, suffix string) string {
	return filepath.Join(l.Dir, ledgerPrefix+InjectionKey(req)+suffix)
}

// Put records e durably (synced), replacing the entry of the same injection.
func (l *Ledger) Put(e LedgerEntry) error {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return fmt.Errorf("ledger dir: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode ledger entry: %w", err)
	}
	if err := replaceDurably(l.path(e.Request, entrySuffix), b); err != nil {
		return fmt.Errorf("write ledger entry: %w", err)
	}
	return nil
}

// Injected records the State req's injection returned, beside its entry.
func (l *Ledger) Injected(req fault.Request, state fault.State) error {
	b, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode ledger state: %w", err)
	}
	path := l.path(req, stateSuffix)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write ledger state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write ledger state: %w", err)
	}
	return nil
}

// Remove deletes the entry of req's injection; a missing one is no error.
// Not synced: an entry back after a machine crash is reverted once more.
func (l *Ledger) Remove(req fault.Request) error {
	_ = os.Remove(l.path(req, stateSuffix))
	err := os.Remove(l.path(req, entrySuffix))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove ledger entry: %w", err)
	}
	return nil
}

// Entries returns every entry, oldest first, with its State and status
// LedgerInjected when the State was recorded. A missing Dir is an empty
// ledger.
func (l *Ledger) Entries() ([]LedgerEntry, error) {
	files, err := os.ReadDir(l.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	var out []LedgerEntry
	var errs []error
	for _, f := range files {
		if f.IsDir() || !strings.HasPrefix(f.Name(), ledgerPrefix) || !strings.HasSuffix(f.Name(), entrySuffix) {
			continue
		}
		path := filepath.Join(l.Dir, f.Name())
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile
		}
		var e LedgerEntry
		if err == nil {
			err = json.Unmarshal(b, &e)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("ledger entry %s: %w", f.Name(), err))
			continue
		}
		if b, err := os.ReadFile(strings.TrimSuffix(path, entrySuffix) + stateSuffix); err == nil {
			var st fault.State
			if json.Unmarshal(b, &st) == nil {
				e.State, e.Status = st, LedgerInjected
			}
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Updated.Before(out[j].Updated) })
	return out, errors.Join(errs...)
}

// fenced is the error of an inject attempt that must not act.
func fenced(req fault.Request, why string) error {
	return errkind.New(errkind.Fenced, "inject %q into %s (run %s, injection %d): %s; nothing changed",
		req.Fault.Name, req.Target.ID, req.Run.RunID, req.Injection, why)
}

// admit lets an inject attempt act only while it is current: its injection
// not fenced by a revert and its run not closed. It then records the
// injection as pending in the ledger, before anything changes.
func (a *Activities) admit(ctx context.Context, req fault.Request) error {
	if err := a.checkFence(ctx, req); err != nil {
		return err
	}
	if a.Temporal != nil && req.Run.RunID != "" {
		// An unreachable server does not stop the inject: the ledger lets
		// the watchdog revert it once the run is seen closed.
		if st, err := RunStatus(ctx, a.Temporal, req.Run); err == nil && st.Closed {
			return fenced(req, "its run has ended ("+st.Status+")")
		}
	}
	if a.Ledger != nil {
		if err := a.Ledger.Put(LedgerEntry{Request: req, Status: LedgerPending, Updated: time.Now()}); err != nil {
			return err
		}
	}
	return nil
}

func (a *Activities) checkFence(ctx context.Context, req fault.Request) error {
	if a.Fences == nil {
		return nil
	}
	ok, err := a.Fences.IsFenced(ctx, req)
	if err != nil {
		return err
	}
	if ok {
		return fenced(req, "its revert has already run")
	}
	return nil
}

// settle records what an inject that acted recorded, then checks the fence
// again: a revert that began while the fault acted may have found nothing
// to undo, so the attempt undoes its own change and reports Fenced.
func (a *Activities) settle(ctx context.Context, impl fault.Fault, req fault.Request, state fault.State) error {
	if a.Ledger != nil {
		if err := a.Ledger.Injected(req, state); err != nil {
			return err
		}
	}
	err := a.checkFence(ctx, req)
	if typ, _ := errkind.TypeOf(err); typ != errkind.Fenced {
		return err
	}
	if rerr := impl.Revert(ctx, req, state); rerr != nil {
		return fmt.Errorf("%w; undoing it failed (the watchdog retries): %w", err, rerr)
	}
	if a.Ledger != nil {
		_ = a.Ledger.Remove(req)
	}
	return err
}

// fence records, before a revert acts, that req's injection is reverted.
func (a *Activities) fence(ctx context.Context, req fault.Request) error {
	if a.Fences == nil {
		return nil
	}
	return a.Fences.Fence(ctx, req)
}

// forget removes a reverted injection from the ledger. A failure only
// means the watchdog reverts it once more (reverts are idempotent).
func (a *Activities) forget(req fault.Request) {
	if a.Ledger != nil {
		_ = a.Ledger.Remove(req)
	}
}

// RevertRecorded reverts a ledger entry the way the Revert activity does:
// it fences the injection, reverts it with the recorded state and removes
// the entry. The watchdog and `tempest cleanup` use it.
func (a *Activities) RevertRecorded(ctx context.Context, e LedgerEntry) error {
	impl, err := a.fault(e.Request.Fault)
	if err != nil {
		return err
	}
	if err := a.fence(ctx, e.Request); err != nil {
		return err
	}
	if err := impl.Revert(ctx, e.Request, e.State); err != nil {
		return fmt.Errorf("revert %q on %s: %w", e.Request.Fault.Name, e.Request.Target.ID, err)
	}
	if a.Ledger != nil {
		return a.Ledger.Remove(e.Request)
	}
	return nil
}
