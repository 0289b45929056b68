package stress

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as two helper programs, chosen by environment:
//   - spinEnv: a "service" that, for each line "MS" on stdin, burns MS
//     milliseconds of its own CPU time and answers "done": its latency is
//     its share of the CPU;
//   - workerEnv: a stand-in worker that injects the stress it is given,
//     prints the State as JSON and waits to be killed.
const (
	spinEnv   = "TEMPEST_STRESS_TEST_SPIN"
	workerEnv = "TEMPEST_STRESS_TEST_WORKER"
)

// workerArgs is what a stand-in worker injects.
type workerArgs struct {
	StateDir string
	RunID    string
	Spec     Spec
}

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(spinEnv) != "":
		os.Exit(spin())
	case os.Getenv(workerEnv) != "":
		os.Exit(worker(os.Getenv(workerEnv)))
	}
	os.Exit(m.Run())
}

func spin() int {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ms, err := strconv.Atoi(in.Text())
		if err != nil {
			return 2
		}
		burn(time.Duration(ms) * time.Millisecond)
		fmt.Println("done")
	}
	return 0
}

// burn spins until the process has used d of CPU time.
func burn(d time.Duration) {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
	end := time.Duration(ts.Nano()) + d
	x := uint64(1)
	for {
		for range 10000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		_ = unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
		if time.Duration(ts.Nano()) >= end {
			break
		}
	}
	if x == 42 {
		fmt.Fprintln(os.Stderr, x) // keeps the loop from being optimized away
	}
}

func worker(arg string) int {
	var a workerArgs
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	d := New(a.StateDir)
	state, err := d.inject(context.Background(), request(a.RunID, "cpu", 1, hostTarget), &a.Spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b, _ := json.Marshal(state)
	fmt.Println(string(b))
	time.Sleep(time.Minute) // killed before
	return 3
}
