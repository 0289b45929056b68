package activities

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// recordingFault counts what it did; onInject runs inside Inject before it
// "acts", so a test can look at the ledger or fence from there.
type recordingFault struct {
	mu       sync.Mutex
	injects  int
	reverts  int
	onInject func()
}

func (f *recordingFault) Targets(context.Context, experiment.Fault) ([]experiment.Target, error) {
	return nil, nil
}

func (f *recordingFault) Inject(context.Context, fault.Request) (fault.State, error) {
	if f.onInject != nil {
		f.onInject()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injects++
	return fault.State{"k": "v"}, nil
}

func (f *recordingFault) Revert(_ context.Context, _ fault.Request, st fault.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reverts++
	return nil
}

func (f *recordingFault) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injects, f.reverts
}

func fencedActivities(t *testing.T) (*Activities, *recordingFault) {
	t.Helper()
	dir := t.TempDir()
	impl := &recordingFault{}
	reg := fault.NewRegistry()
	reg.Register(experiment.FaultProcess, impl)
	return &Activities{
		Faults: reg,
		Fences: &FileFences{Dir: filepath.Join(dir, "fences")},
		Ledger: &Ledger{Dir: filepath.Join(dir, "ledger")},
	}, impl
}

func sampleRequest(injection int) fault.Request {
	return fault.Request{
		Run:       fault.Run{WorkflowID: "wf", RunID: "run-1", Experiment: "exp"},
		Fault:     experiment.Fault{Name: "pause", Process: &experiment.ProcessFault{Action: experiment.ProcessPause}},
		Target:    experiment.Target{ID: "pid/42"},
		Injection: injection,
	}
}

func assertFenced(t *testing.T, err error) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != errkind.Fenced || !appErr.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable %s ApplicationError", err, errkind.Fenced)
	}
}

func TestInjectAfterRevertChangesNothing(t *testing.T) {
	a, impl := fencedActivities(t)
	req := sampleRequest(1)
	if _, err := a.Revert(t.Context(), RevertInput{Request: req}); err != nil {
		t.Fatal(err)
	}
	_, err := a.Inject(t.Context(), req)
	assertFenced(t, err)
	if injects, _ := impl.counts(); injects != 0 {
		t.Fatalf("the fault acted %d times after its revert", injects)
	}
	if entries, _ := a.Ledger.Entries(); len(entries) != 0 {
		t.Fatalf("ledger holds %v after a fenced inject", entries)
	}
	// Another injection of the same fault is not fenced by it.
	if _, err := a.Inject(t.Context(), sampleRequest(2)); err != nil {
		t.Fatalf("injection 2: %v", err)
	}
}

func TestLedgerRecordsBeforeTheFaultActs(t *testing.T) {
	a, impl := fencedActivities(t)
	req := sampleRequest(1)
	var seen []LedgerEntry
	impl.onInject = func() { seen, _ = a.Ledger.Entries() }
	if _, err := a.Inject(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Status != LedgerPending {
		t.Fatalf("while the fault acted the ledger held %+v, want one pending entry", seen)
	}
	entries, err := a.Ledger.Entries()
	if err != nil || len(entries) != 1 || entries[0].Status != LedgerInjected || entries[0].State["k"] != "v" {
		t.Fatalf("after inject: %+v, %v; want one injected entry with its state", entries, err)
	}
	if _, err := a.Revert(t.Context(), RevertInput{Request: req, State: entries[0].State}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := a.Ledger.Entries(); len(entries) != 0 {
		t.Fatalf("ledger holds %v after the revert", entries)
	}
}

// A revert that begins while a late inject acts finds nothing to undo; the
// inject sees the fence afterwards and undoes its own change.
func TestInjectRacingItsRevertUndoesItself(t *testing.T) {
	a, impl := fencedActivities(t)
	req := sampleRequest(1)
	impl.onInject = func() {
		if _, err := a.Revert(context.WithoutCancel(t.Context()), RevertInput{Request: req}); err != nil {
			t.Error(err)
		}
	}
	_, err := a.Inject(t.Context(), req)
	assertFenced(t, err)
	if injects, reverts := impl.counts(); injects != 1 || reverts != 2 {
		t.Fatalf("injects %d, reverts %d; want the inject undone by its own revert after the activity's", injects, reverts)
	}
	if entries, _ := a.Ledger.Entries(); len(entries) != 0 {
		t.Fatalf("ledger holds %v", entries)
	}
}

func TestRevertRecordedFencesAndRemoves(t *testing.T) {
	a, impl := fencedActivities(t)
	req := sampleRequest(1)
	if _, err := a.Inject(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	entries, _ := a.Ledger.Entries()
	if len(entries) != 1 {
		t.Fatalf("ledger %v", entries)
	}
	if err := a.RevertRecorded(t.Context(), entries[0]); err != nil {
		t.Fatal(err)
	}
	if _, reverts := impl.counts(); reverts != 1 {
		t.Fatalf("reverts %d", reverts)
	}
	if entries, _ := a.Ledger.Entries(); len(entries) != 0 {
		t.Fatalf("ledger holds %v", entries)
	}
	_, err := a.Inject(t.Context(), req)
	assertFenced(t, err)
}

func TestFileFencesPrunesOldFences(t *testing.T) {
	f := &FileFences{Dir: t.TempDir(), MaxAge: time.Hour}
	old, fresh := sampleRequest(1), sampleRequest(2)
	if err := f.Fence(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(f.path(old), long, long); err != nil {
		t.Fatal(err)
	}
	f.lastPruned = time.Time{}
	if err := f.Fence(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.IsFenced(t.Context(), old); ok {
		t.Fatal("a fence older than MaxAge was kept")
	}
	if ok, _ := f.IsFenced(t.Context(), fresh); !ok {
		t.Fatal("a new fence is missing")
	}
	if err := f.Fence(t.Context(), fresh); err != nil {
		t.Fatalf("fencing twice: %v", err)
	}
}

// BenchmarkInjectBookkeeping is what fencing and the ledger add to an
// Inject: a fence check before and after, two synced ledger writes, and the
// ledger removal and fence of its Revert (the fault itself does nothing).
func BenchmarkInjectBookkeeping(b *testing.B) {
	dir := b.TempDir()
	reg := fault.NewRegistry()
	reg.Register(experiment.FaultProcess, &recordingFault{})
	a := &Activities{Faults: reg, Fences: &FileFences{Dir: filepath.Join(dir, "fences")}, Ledger: &Ledger{Dir: filepath.Join(dir, "ledger")}}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		req := sampleRequest(i + 1)
		res, err := a.Inject(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Revert(ctx, RevertInput{Request: req, State: res.State}); err != nil {
			b.Fatal(err)
		}
	}
}
