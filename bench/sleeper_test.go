package bench

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// startSleeper starts a long sleep, writes its pid to pidfile and returns
// a function that kills it.
func startSleeper(t testing.TB, pidfile string) func() {
	t.Helper()
	cmd := exec.Command("sleep", "3600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidfile, []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}
