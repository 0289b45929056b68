package report

import (
	"encoding/json"
	"io"
)

// JSON writes the Run (the result, the timeline, and the run's IDs and
// link) as indented JSON; durations are in nanoseconds, as in the Result.
func JSON(w io.Writer, r Run) error {
	if r.Timeline.Injections == nil {
		r.Timeline.Injections = []Injection{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
