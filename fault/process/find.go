package process

import (
	"context"

	"github.com/tempest-chaos/tempest/experiment"
)

// Found is one live process a selector matched: its pid and its start
// time (clock ticks since boot, /proc/PID/stat field 22), which together
// name it for good: a recycled pid has another start time.
type Found struct {
	PID       int
	StartTime uint64
	Name      string
}

// Find returns every live process sel matches on this host, ordered by
// pid, never the calling process; other host kinds (network, stress)
// select the process whose namespace or cgroup they act in with it. Its
// errors are classified like the process fault's (errkind).
func Find(ctx context.Context, sel experiment.ProcessSelector) ([]Found, error) {
	infos, err := New().resolve(ctx, sel)
	if err != nil {
		return nil, err
	}
	out := make([]Found, len(infos))
	for i, ti := range infos {
		out[i] = Found{PID: ti.PID, StartTime: ti.StartTime, Name: ti.Name}
	}
	return out, nil
}

// Alive tells whether pid is a live process that started at startTime
// (any start time when it is 0): a pid Find found still names it.
func Alive(pid int, startTime uint64) bool {
	_, err := New().proc.alive(pid, startTime)
	return err == nil
}

// StartTime is the start time of live process pid; an error when there is
// none.
func StartTime(pid int) (uint64, error) {
	st, err := New().proc.alive(pid, 0)
	if err != nil {
		return 0, err
	}
	return st.StartTime, nil
}
