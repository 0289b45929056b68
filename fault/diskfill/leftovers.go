package diskfill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// leftover is one fill file (or what remains of one) that no revert has
// removed.
type leftover struct {
	id string
	// Marker attributes it; Run is zero when neither the sidecar nor the
	// index entry could be read.
	Marker Marker
	// File is the fill file's path; Bytes its allocated size, 0 when only
	// the sidecar or the index entry remains.
	File  string
	Bytes int64
}

func (l leftover) what() string {
	if l.Bytes == 0 {
		return fmt.Sprintf("diskFill marker of %s (fill file already gone), fault %q injection %d", l.File, l.Marker.Fault, l.Marker.Injection)
	}
	return fmt.Sprintf("diskFill file %s (%s), fault %q injection %d", l.File, size(l.Bytes), l.Marker.Fault, l.Marker.Injection)
}

// leftovers lists the fill files the index knows of, and every other
// fill file or sidecar in the directories it names (or in dirs).
func (d *Driver) leftovers(ctx context.Context, dirs ...string) ([]leftover, error) {
	entries, err := os.ReadDir(filepath.Join(d.StateDir, indexDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("diskFill index: %w", err)
	}
	found := map[string]*leftover{}
	var errs []error
	for _, e := range entries {
		id, _, ok := idOf(FilePrefix + e.Name())
		if !ok {
			continue
		}
		m, ok, err := readMarker(filepath.Join(d.StateDir, indexDir, e.Name()))
		if err != nil || !ok {
			errs = append(errs, err)
			continue
		}
		found[id] = &leftover{id: id, Marker: m, File: m.File}
		dirs = append(dirs, filepath.Dir(m.File))
	}
	slices.Sort(dirs)
	for _, dir := range slices.Compact(dirs) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		names, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("diskFill: list %s: %w", dir, err))
			}
			continue
		}
		for _, n := range names {
			id, sidecar, ok := idOf(n.Name())
			if !ok {
				continue
			}
			l := found[id]
			if l == nil {
				l = &leftover{id: id, File: fillFile(dir, id)}
				found[id] = l
			}
			if sidecar && l.Marker.Run.WorkflowID == "" {
				if m, ok, err := readMarker(filepath.Join(dir, n.Name())); err == nil && ok {
					l.Marker = m
				}
			}
		}
	}
	out := make([]leftover, 0, len(found))
	for _, l := range found {
		if l.Bytes, err = allocated(l.File); err != nil {
			errs = append(errs, err)
		}
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b leftover) int { return strings.Compare(a.File, b.File) })
	return out, errors.Join(errs...)
}
