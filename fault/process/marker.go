package process

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tempest-chaos/tempest/fault"
)

// markerMaxAge is how long restart markers are kept; older ones are pruned
// when a new one is written.
const markerMaxAge = 7 * 24 * time.Hour

// marker records that Restart was launched for one injection on one
// target, so a retried Revert does not launch it a second time.
type marker struct {
	Argv       []string  `json:"argv"`
	LaunchedAt time.Time `json:"launchedAt"`
	// PID is the launched process (0 while it is being launched).
	PID int `json:"pid,omitempty"`
	// StartTime is the start time of PID (field 22 of /proc/PID/stat), so
	// a retry never takes a recycled pid for the launched process.
	StartTime uint64 `json:"startTime,omitempty"`
	// Failed says the launched command could not start or exited with an
	// error before it settled; a retry may launch it again.
	Failed string `json:"failed,omitempty"`
}

// markerPaths returns the marker file and the restart log file of one
// injection of one fault on one target.
func (p *Process) markerPaths(req fault.Request) (markerFile, logFile string) {
	h := sha256.New()
	for _, part := range []string{req.Run.WorkflowID, req.Run.RunID, req.Fault.Name, req.Target.ID, strconv.Itoa(req.Injection)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	base := filepath.Join(p.StateDir, "restart-"+hex.EncodeToString(h.Sum(nil))[:24])
	return base + ".json", base + ".log"
}

// claimMarker creates the marker at path for a launch about to happen.
// claimed is false when a launch for the same injection was made before
// (or is being made concurrently), unless that launch is known to have
// failed, in which case its marker is replaced.
func claimMarker(path string, m marker) (claimed bool, err error) {
	for range 2 {
		claimed, err = createMarker(path, m)
		if err != nil || claimed {
			return claimed, err
		}
		prev, ok, err := readMarker(path)
		if err != nil || !ok {
			// Unreadable (a crash while it was written) or just replaced:
			// count it as a launch, to never launch twice.
			return false, err
		}
		if prev.Failed == "" {
			return false, nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("replace failed restart marker: %w", err)
		}
	}
	return false, nil
}

// createMarker writes m to path if no marker exists there.
func createMarker(path string, m marker) (bool, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("encode restart marker: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create restart marker: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path) // nothing was launched
		return false, fmt.Errorf("write restart marker: %w", err)
	}
	return true, nil
}

// readMarker returns the marker at path; ok is false when there is none.
func readMarker(path string) (m marker, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return marker{}, false, nil
	}
	if err != nil {
		return marker{}, false, fmt.Errorf("read restart marker: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return marker{}, false, fmt.Errorf("read restart marker: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return marker{}, false, fmt.Errorf("read restart marker: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		// Torn by a crash while it was created: a launch may have
		// followed, about when the file was written.
		return marker{LaunchedAt: info.ModTime()}, true, nil
	}
	return m, true, nil
}

// writeMarker replaces the marker at path atomically and durably.
func writeMarker(path string, m marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode restart marker: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".marker-*")
	if err != nil {
		return fmt.Errorf("write restart marker: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write restart marker: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync restart marker: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write restart marker: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write restart marker: %w", err)
	}
	return nil
}

// pruneMarkers removes markers and logs older than markerMaxAge from dir.
func pruneMarkers(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && !e.IsDir() && now.Sub(info.ModTime()) > markerMaxAge {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
