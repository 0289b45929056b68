package process

import (
	"syscall"

	"github.com/tempest-chaos/tempest/experiment"
)

// parseSignal reads a spec's signal ("SIGKILL", "KILL", "kill", "9") with
// experiment.ParseSignal; "" is SIGKILL.
func parseSignal(name string) (syscall.Signal, error) {
	if name == "" {
		return syscall.SIGKILL, nil
	}
	n, err := experiment.ParseSignal(name)
	if err != nil {
		return 0, err
	}
	return syscall.Signal(n), nil
}
