package diskfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/bytesize"
)

// Defaults of the safety margin on the filesystem of the worker's state
// directory.
const (
	DefaultMinFreePercent = 5
	DefaultMinFreeBytes   = 256 << 20
)

// Keys of the fault.State Inject returns.
const (
	StatePath   = "path"
	StateFile   = "file"
	StateBytes  = "bytes"
	StateMethod = "method" // "fallocate", "zeros", or "none" when nothing was needed
	StateBefore = "usedPercentBefore"
	StateAfter  = "usedPercentAfter"
)

// AttrPath is the target attribute holding the filled directory.
const AttrPath = "path"

// Driver fills filesystems on the worker's host. Set its fields before
// first use; it is then safe for concurrent use.
type Driver struct {
	// StateDir is the worker's state directory: it holds the index of
	// fill files, and its filesystem is guarded by the margin below.
	StateDir string
	// MinFreePercent and MinFreeBytes: an injection into the filesystem
	// of StateDir must leave at least the larger of MinFreePercent of its
	// size and MinFreeBytes available, or it is refused.
	MinFreePercent float64
	MinFreeBytes   int64

	// fallocate allocates [0, size) of fd; unix.Fallocate unless a test
	// replaces it to exercise the fallback.
	fallocate func(fd int, size int64) error
}

// New returns a driver with the default margin (5%, 256 MiB) keeping its
// index under stateDir.
func New(stateDir string) *Driver {
	return &Driver{StateDir: stateDir, MinFreePercent: DefaultMinFreePercent, MinFreeBytes: DefaultMinFreeBytes}
}

// usage is a filesystem's size as statfs reports it, in bytes.
type usage struct {
	total int64 // every block
	free  int64 // free blocks, root's reserve included
	avail int64 // free blocks an unprivileged user may use
	block int64
}

func statUsage(path string) (usage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return usage{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	bs := st.Frsize
	if bs <= 0 {
		bs = st.Bsize
	}
	return usage{total: int64(st.Blocks) * bs, free: int64(st.Bfree) * bs, avail: int64(st.Bavail) * bs, block: bs}, nil
}

// used is what df counts as used.
func (u usage) used() int64 { return u.total - u.free }

// usedPercent is df's Use%: used / (used + available).
func (u usage) usedPercent() float64 {
	if u.used()+u.avail <= 0 {
		return 0
	}
	return 100 * float64(u.used()) / float64(u.used()+u.avail)
}

// targets returns the one target of s: the directory.
func (d *Driver) targets(s *Spec) ([]experiment.Target, error) {
	if err := checkDir(s.Path); err != nil {
		return nil, err
	}
	u, err := statUsage(s.Path)
	if err != nil {
		return nil, err
	}
	return []experiment.Target{{
		ID:          "disk/" + s.Path,
		Description: fmt.Sprintf("filesystem of %s (%s, %.1f%% used): %s", s.Path, size(u.total), u.usedPercent(), s.Summary()),
		Attrs:       map[string]string{AttrPath: s.Path},
	}}, nil
}

func checkDir(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return errkind.New(errkind.UnknownTarget, "diskFill.path: %s does not exist", path)
	case errors.Is(err, os.ErrPermission):
		return errkind.Wrap(errkind.Forbidden, err)
	case err != nil:
		return err
	case !fi.IsDir():
		return errkind.New(errkind.UnknownTarget, "diskFill.path: %s is not a directory", path)
	}
	return nil
}

// inject fills the filesystem of s.Path with the injection's fill file;
// see the package doc.
func (d *Driver) inject(ctx context.Context, req fault.Request, s *Spec) (fault.State, error) {
	if errs := s.Validate(string(Name)); len(errs) > 0 {
		return nil, errkind.New(errkind.InvalidSpec, "fault %q: %s", req.Fault.Name, errs[0].Error())
	}
	if err := checkDir(s.Path); err != nil {
		return nil, err
	}
	if d.StateDir == "" {
		return nil, errkind.New(errkind.InvalidSpec, "diskFill: the worker has no state directory to keep its index in")
	}
	id := markerID(req)
	file := fillFile(s.Path, id)
	own, err := allocated(file)
	if err != nil {
		return nil, err
	}
	// The index entry and the sidecar are written before the file, so a
	// crash at any point leaves the file findable and attributable; and
	// before the filesystem is measured, so their own blocks are counted.
	m := Marker{Run: req.Run, Fault: req.Fault.Name, Injection: req.Injection, File: file}
	if err := os.MkdirAll(filepath.Join(d.StateDir, indexDir), 0o700); err != nil {
		return nil, fmt.Errorf("diskFill index: %w", err)
	}
	if err := ensureMarker(d.indexPath(id), m); err != nil {
		return nil, err
	}
	if err := ensureMarker(file+SidecarSuffix, m); err != nil {
		if own > 0 {
			return nil, forbidden(err)
		}
		return nil, errors.Join(forbidden(err), removeIfExists(d.indexPath(id)))
	}
	// undo takes the markers back when nothing else of this injection
	// exists, so that a nil State means nothing was changed.
	undo := func(err error) (fault.State, error) {
		if own > 0 {
			return nil, err
		}
		if rerr := d.remove(file, id); rerr != nil {
			return fault.State{StatePath: s.Path, StateFile: file}, errors.Join(err, rerr)
		}
		return nil, err
	}
	before, err := statUsage(s.Path)
	if err != nil {
		return undo(err)
	}
	want, err := wanted(s, before, own)
	if err != nil {
		return undo(err)
	}
	state := fault.State{
		StatePath:   s.Path,
		StateFile:   file,
		StateBytes:  "0",
		StateMethod: "none",
		StateBefore: strconv.FormatFloat(before.usedPercent(), 'f', 1, 64),
	}
	if want == 0 && own == 0 {
		state[StateAfter] = state[StateBefore]
		if _, err := undo(nil); err != nil {
			return state, err
		}
		return state, nil
	}
	extra := max(want-own, 0)
	if extra > before.avail {
		return undo(errkind.New(errkind.Refused, "diskFill: %s needs %s more on the filesystem of %s, which has %s available",
			size(want), size(extra), s.Path, size(before.avail)))
	}
	if err := d.checkMargin(s.Path, before, extra); err != nil {
		return undo(err)
	}
	method, err := d.fill(ctx, file, want)
	if err != nil {
		// Take it all back, so that a nil State means nothing changed.
		if rerr := d.remove(file, id); rerr != nil {
			return state, errors.Join(err, rerr)
		}
		return nil, err
	}
	after, err := statUsage(s.Path)
	if err != nil {
		return state, err
	}
	got, err := allocated(file)
	if err != nil {
		return state, err
	}
	state[StateBytes] = strconv.FormatInt(got, 10)
	state[StateMethod] = method
	state[StateAfter] = strconv.FormatFloat(after.usedPercent(), 'f', 1, 64)
	return state, nil
}

// wanted is the size the fill file must have.
func wanted(s *Spec, u usage, own int64) (int64, error) {
	if s.Bytes != "" {
		return parseBytes(s.Bytes)
	}
	// Usage without the fill file; the filesystem's capacity for
	// unprivileged users (used + available) does not change with it.
	capacity := u.used() + u.avail
	usedOthers := u.used() - own
	target := int64(math.Ceil(s.Percent / 100 * float64(capacity)))
	if s.Percent == 100 {
		target = capacity
	}
	return max(target-usedOthers, 0), nil
}

// checkMargin refuses an injection that would leave the filesystem of
// the worker's state directory with less than the margin available.
func (d *Driver) checkMargin(path string, u usage, extra int64) error {
	if err := os.MkdirAll(d.StateDir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	same, err := sameFilesystem(path, d.StateDir)
	if err != nil || !same {
		return err
	}
	need := max(int64(d.MinFreePercent/100*float64(u.total)), d.MinFreeBytes)
	if left := u.avail - extra; left < need {
		return errkind.New(errkind.Refused,
			"diskFill: %s holds the worker's state directory %s: filling it would leave %s available, less than the margin of %s (the larger of %g%% of %s and %s)",
			path, d.StateDir, size(max(left, 0)), size(need), d.MinFreePercent, size(u.total), size(d.MinFreeBytes))
	}
	return nil
}

func sameFilesystem(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return false, fmt.Errorf("stat %s: %w", a, err)
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, fmt.Errorf("stat %s: %w", b, err)
	}
	return sa.Dev == sb.Dev, nil
}

// allocated is the space file occupies (0 when it does not exist).
func allocated(file string) (int64, error) {
	var st unix.Stat_t
	err := unix.Stat(file, &st)
	if errors.Is(err, unix.ENOENT) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", file, err)
	}
	return max(st.Blocks*512, st.Size), nil
}

// fill makes file at least want bytes long, allocated: fallocate, or
// zeros written where the filesystem cannot fallocate.
func (d *Driver) fill(ctx context.Context, file string, want int64) (method string, err error) {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return "", forbidden(fmt.Errorf("diskFill: %w", err))
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	falloc := d.fallocate
	if falloc == nil {
		falloc = func(fd int, size int64) error { return unix.Fallocate(fd, 0, 0, size) }
	}
	method = "fallocate"
	err = falloc(int(f.Fd()), want)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		method = "zeros"
		err = writeZeros(ctx, f, want)
	}
	if err != nil {
		if errors.Is(err, unix.ENOSPC) {
			return "", errkind.New(errkind.Refused, "diskFill: %s: the filesystem filled up before %s were written: %w", file, size(want), err)
		}
		return "", fmt.Errorf("diskFill: fill %s: %w", file, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("diskFill: sync %s: %w", file, err)
	}
	return method, nil
}

// writeZeros extends f with zeros until it is want bytes long.
func writeZeros(ctx context.Context, f *os.File, want int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	off := fi.Size()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	for off < want {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := f.Write(zeros[:min(int64(len(zeros)), want-off)])
		off += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

// revert deletes exactly the injection's fill file, its sidecar and its
// index entry; any of them already gone is fine.
func (d *Driver) revert(req fault.Request, s *Spec) error {
	if s.Path == "" {
		return errkind.New(errkind.InvalidSpec, "fault %q: diskFill.path: required", req.Fault.Name)
	}
	id := markerID(req)
	return d.remove(fillFile(s.Path, id), id)
}

// remove deletes a fill file, then its sidecar, then its index entry.
func (d *Driver) remove(file, id string) error {
	if err := removeIfExists(file); err != nil {
		return forbidden(fmt.Errorf("diskFill: remove fill file: %w", err))
	}
	if err := removeIfExists(file + SidecarSuffix); err != nil {
		return forbidden(fmt.Errorf("diskFill: remove sidecar: %w", err))
	}
	if err := removeIfExists(d.indexPath(id)); err != nil {
		return fmt.Errorf("diskFill: remove index entry: %w", err)
	}
	return nil
}

// forbidden classifies a permission error as errkind.Forbidden.
func forbidden(err error) error {
	if err != nil && errors.Is(err, os.ErrPermission) {
		return errkind.Wrap(errkind.Forbidden, err)
	}
	return err
}

// size prints a byte count with a binary unit ("3.2 GiB").
func size(n int64) string { return bytesize.Format(n) }
