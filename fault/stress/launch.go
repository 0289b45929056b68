package stress

import (
	"os/exec"
	"runtime"
	"sync"
)

// The kernel sends a child's parent-death signal (Pdeathsig) when the
// THREAD that forked it exits, not the process. Go threads can exit (a
// goroutine that ends while locked to its thread takes the thread with
// it, as network-namespace code does), which would kill a stressor in
// the middle of its fault. So every stressor is forked from one thread
// locked to a goroutine that never returns: the signal comes only when
// the worker process dies.
var launcher struct {
	once sync.Once
	reqs chan launchReq
}

type launchReq struct {
	cmd  *exec.Cmd
	done chan error
}

// startOnLauncherThread runs cmd.Start on the launcher thread.
func startOnLauncherThread(cmd *exec.Cmd) error {
	launcher.once.Do(func() {
		launcher.reqs = make(chan launchReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range launcher.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	r := launchReq{cmd: cmd, done: make(chan error, 1)}
	launcher.reqs <- r
	return <-r.done
}
