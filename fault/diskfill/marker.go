package diskfill

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tempest-chaos/tempest/fault"
)

// FilePrefix starts the name of every fill file; its sidecar is the fill
// file's name plus SidecarSuffix.
const (
	FilePrefix    = ".tempest-diskfill-"
	SidecarSuffix = ".json"
)

// indexDir is the folder of Driver.StateDir holding the index.
const indexDir = "diskfill"

// Marker attributes a fill file to the injection that wrote it. It is
// written twice before the fill: as the sidecar beside the fill file and
// as the index entry in the worker's state directory.
type Marker struct {
	Run       fault.Run `json:"run"`
	Fault     string    `json:"fault"`
	Injection int       `json:"injection"`
	// File is the fill file's absolute path.
	File string `json:"file"`
}

// markerID derives the name of one injection's fill file: 16 hex digits
// of a SHA-256 of the workflow ID, run ID, fault name and injection.
func markerID(req fault.Request) string {
	h := sha256.New()
	for _, part := range []string{req.Run.WorkflowID, req.Run.RunID, req.Fault.Name, strconv.Itoa(req.Injection)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// fillFile is the path of the fill file of injection id in dir.
func fillFile(dir, id string) string { return filepath.Join(dir, FilePrefix+id) }

// idOf returns the marker ID of a fill file or sidecar name; ok is false
// for other names.
func idOf(name string) (id string, sidecar, ok bool) {
	rest, found := strings.CutPrefix(name, FilePrefix)
	if !found {
		return "", false, false
	}
	rest, sidecar = strings.CutSuffix(rest, SidecarSuffix)
	if len(rest) != 16 || strings.Trim(rest, "0123456789abcdef") != "" {
		return "", false, false
	}
	return rest, sidecar, true
}

func (d *Driver) indexPath(id string) string {
	return filepath.Join(d.StateDir, indexDir, id+SidecarSuffix)
}

// writeMarker writes m to path durably (temporary file, fsync, rename).
func writeMarker(path string, m Marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write marker: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write marker %s: %w", path, err)
	}
	return nil
}

// ensureMarker writes m to path unless path already holds it (a
// re-inject, on a filesystem that may be full by now).
func ensureMarker(path string, m Marker) error {
	if old, ok, err := readMarker(path); err == nil && ok && old == m {
		return nil
	}
	return writeMarker(path, m)
}

// readMarker reads a marker file; ok is false when it does not exist.
func readMarker(path string) (m Marker, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Marker{}, false, nil
	}
	if err != nil {
		return Marker{}, false, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Marker{}, false, fmt.Errorf("marker %s: %w", path, err)
	}
	return m, true, nil
}

// removeIfExists removes path; a path already gone is no error.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
