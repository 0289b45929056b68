package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/tempest-chaos/tempest/fault"
)

// FenceStore records, durably, that an injection's revert has begun, so a
// late or duplicate attempt of its inject (activity tasks are delivered at
// least once) changes nothing. A fence names one injection: the run, the
// fault, the injection number and the target.
//
// Contract: Fence returns only once the fence is durable (a crash right
// after it cannot lose it) and succeeds when the fence exists already;
// IsFenced sees every fence whose Fence returned before it was called. Both
// return promptly when ctx is done.
type FenceStore interface {
	Fence(ctx context.Context, req fault.Request) error
	IsFenced(ctx context.Context, req fault.Request) (bool, error)
}

// DefaultFenceMaxAge is how long FileFences keeps a fence. An inject later
// than that is stopped by the closed-run check instead.
const DefaultFenceMaxAge = 3 * 24 * time.Hour

// InjectionKey names one injection of one fault on one target of one run;
// fences and ledger entries are keyed by it.
func InjectionKey(req fault.Request) string {
	h := sha256.New()
	for _, part := range []string{req.Run.WorkflowID, req.Run.RunID, req.Fault.Name, req.Target.ID, strconv.Itoa(req.Injection)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// FileFences keeps one file per fence in Dir, created exclusively and
// synced (file and directory) before Fence returns. Fences older than
// MaxAge (default DefaultFenceMaxAge) are pruned, at most once an hour, when
// a new one is written. Workers sharing Dir (one host) share their fences.
type FileFences struct {
	Dir    string
	MaxAge time.Duration

	mu         sync.Mutex
	lastPruned time.Time
}

var _ FenceStore = (*FileFences)(nil)

// fenceRecord is what a fence file holds, for people reading the directory.
type fenceRecord struct {
	Run       fault.Run `json:"run"`
	Fault     string    `json:"fault"`
	Target    string    `json:"target"`
	Injection int       `json:"injection"`
	At        time.Time `json:"at"`
}

func (f *FileFences) path(req fault.Request) string {
	return filepath.Join(f.Dir, "fence-"+InjectionKey(req))
}

// Fence records req's injection as reverted.
func (f *FileFences) Fence(ctx context.Context, req fault.Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("fence dir: %w", err)
	}
	b, err := json.Marshal(fenceRecord{Run: req.Run, Fault: req.Fault.Name, Target: req.Target.ID, Injection: req.Injection, At: time.Now()})
	if err != nil {
		return fmt.Errorf("encode fence: %w", err)
	}
	if err := createDurably(f.path(req), b); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("write fence: %w", err)
	}
	f.prune(time.Now())
	return nil
}

// IsFenced reports whether req's injection was fenced.
func (f *FileFences) IsFenced(ctx context.Context, req fault.Request) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, err := os.Stat(f.path(req))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("read fence: %w", err)
	}
}

func (f *FileFences) prune(now time.Time) {
	f.mu.Lock()
	if now.Sub(f.lastPruned) < time.Hour {
		f.mu.Unlock()
		return
	}
	f.lastPruned = now
	f.mu.Unlock()
	maxAge := f.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultFenceMaxAge
	}
	entries, err := os.ReadDir(f.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && !e.IsDir() && now.Sub(info.ModTime()) > maxAge {
			_ = os.Remove(filepath.Join(f.Dir, e.Name()))
		}
	}
}

// createDurably creates path exclusively with b, syncs it and its
// directory; it returns an error wrapping os.ErrExist when path exists.
func createDurably(path string, b []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = fh.Write(b)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// replaceDurably writes b to path atomically (a synced temporary file
// renamed over it) and syncs the directory.
func replaceDurably(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
