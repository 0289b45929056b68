package diskfill

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault/bytesize"
)

// Name is the fault kind of this package, also its block's key in a spec.
const Name experiment.FaultKind = "diskFill"

// Spec is the diskFill block of a fault: which filesystem to fill and how
// much. Set exactly one of Percent and Bytes.
type Spec struct {
	// Path is an existing directory, absolute; the filesystem that holds
	// it is filled, by one file written into it.
	Path string `json:"path"`
	// Percent fills the filesystem until this percent of it is used, as
	// df counts it (used / (used + available to unprivileged users)):
	// more than 0, at most 100. A filesystem already that full gets
	// nothing written.
	Percent float64 `json:"percent,omitempty"`
	// Bytes is how much to write: a number of bytes ("1048576") or a size
	// with a binary ("512Mi", "2Gi") or decimal ("500M", "1G") unit.
	Bytes string `json:"bytes,omitempty"`
}

// FaultKind is "diskFill".
func (*Spec) FaultKind() experiment.FaultKind { return Name }

// Validate checks s without touching the system; path is the block's
// field path ("spec.faults[0].diskFill"), each problem names its field.
func (s *Spec) Validate(path string) []experiment.FieldError {
	var errs []experiment.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, experiment.FieldErrorf(experiment.Field(path, field), format, args...))
	}
	switch {
	case s.Path == "":
		bad("path", "required: the directory whose filesystem is filled")
	case !filepath.IsAbs(s.Path):
		bad("path", "%q is not an absolute path", s.Path)
	case filepath.Clean(s.Path) != s.Path:
		bad("path", "%q is not a clean path; write %q", s.Path, filepath.Clean(s.Path))
	}
	switch {
	case s.Percent != 0 && s.Bytes != "":
		bad("percent", "set percent or bytes, not both")
	case s.Percent == 0 && s.Bytes == "":
		errs = append(errs, experiment.FieldErrorf(path, "set percent or bytes"))
	case s.Bytes != "":
		if _, err := parseBytes(s.Bytes); err != nil {
			bad("bytes", "%v", err)
		}
	case math.IsNaN(s.Percent) || s.Percent <= 0 || s.Percent > 100:
		bad("percent", "%v is not more than 0 and at most 100", s.Percent)
	}
	return errs
}

// Summary says what the fill does, for people (target descriptions, so
// the CLI and the Temporal UI show what was injected where): "fill to
// 80%" or "fill by 512Mi".
func (s *Spec) Summary() string {
	if s.Bytes != "" {
		return "fill by " + s.Bytes
	}
	return fmt.Sprintf("fill to %g%%", s.Percent)
}

// parseBytes parses a size (package bytesize).
func parseBytes(s string) (int64, error) { return bytesize.Parse(s) }
