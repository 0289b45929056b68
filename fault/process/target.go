package process

import (
	"fmt"
	"strconv"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// Keys of experiment.Target.Attrs for process targets.
const (
	// AttrPID is the process ID.
	AttrPID = "pid"
	// AttrStartTime is field 22 of /proc/PID/stat (clock ticks after boot);
	// with the pid it identifies the process across pid reuse.
	AttrStartTime = "startTime"
	// AttrName is the process name (/proc/PID/comm).
	AttrName = "name"
	// AttrPort is the selector's port, or the lowest port the process
	// listens on; absent when it listens on none.
	AttrPort = "port"
	// AttrPIDFile is the selector's pid file; absent for other selectors.
	AttrPIDFile = "pidFile"
)

// targetInfo is one process target; its exported fields are also the
// data of Restart templates ({{.PID}}, {{.Port}}, {{.Name}}, {{.PIDFile}}).
type targetInfo struct {
	PID       int
	StartTime uint64
	Name      string
	Port      int
	PIDFile   string
}

// target converts the info to an experiment.Target.
func (ti targetInfo) target() experiment.Target {
	attrs := map[string]string{
		AttrPID:       strconv.Itoa(ti.PID),
		AttrStartTime: strconv.FormatUint(ti.StartTime, 10),
		AttrName:      ti.Name,
	}
	desc := fmt.Sprintf("%s pid %d", ti.Name, ti.PID)
	if ti.Port != 0 {
		attrs[AttrPort] = strconv.Itoa(ti.Port)
		desc += fmt.Sprintf(" on :%d", ti.Port)
	}
	if ti.PIDFile != "" {
		attrs[AttrPIDFile] = ti.PIDFile
		desc += " (" + ti.PIDFile + ")"
	}
	return experiment.Target{ID: "pid/" + strconv.Itoa(ti.PID), Description: desc, Attrs: attrs}
}

// parseTarget reads back what target wrote; a malformed target is InvalidSpec.
func parseTarget(t experiment.Target) (targetInfo, error) {
	pid, err := strconv.Atoi(t.Attrs[AttrPID])
	if err != nil || pid <= 0 {
		return targetInfo{}, errkind.New(errkind.InvalidSpec, "target %q: attr %s: not a pid: %q", t.ID, AttrPID, t.Attrs[AttrPID])
	}
	start, err := strconv.ParseUint(t.Attrs[AttrStartTime], 10, 64)
	if err != nil {
		return targetInfo{}, errkind.New(errkind.InvalidSpec, "target %q: attr %s: %w", t.ID, AttrStartTime, err)
	}
	ti := targetInfo{PID: pid, StartTime: start, Name: t.Attrs[AttrName], PIDFile: t.Attrs[AttrPIDFile]}
	if s := t.Attrs[AttrPort]; s != "" {
		if ti.Port, err = strconv.Atoi(s); err != nil {
			return targetInfo{}, errkind.New(errkind.InvalidSpec, "target %q: attr %s: %w", t.ID, AttrPort, err)
		}
	}
	return ti, nil
}
