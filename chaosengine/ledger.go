package chaosengine

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EventKind is what a target's ledger saw happen to it.
type EventKind string

// What the ledger records.
const (
	EvStart    EventKind = "start"    // a line in the target's -starts file
	EvDeath    EventKind = "death"    // a pid of the target ended
	EvStop     EventKind = "stop"     // a pid entered state T (SIGSTOP)
	EvContinue EventKind = "continue" // a stopped pid runs again
	// EvFailedStart is a pid that ended within shortLife of its start
	// line: a launch that could not bind because another instance served,
	// i.e. a doubled restart. It is recorded instead of its death.
	EvFailedStart EventKind = "failed-start"
)

// shortLife: a target pid that ends sooner was not killed by a fault (the
// kill faults in the mix hold at least 2 s and EOT probes wait for it).
const shortLife = time.Second

// Event is one ledger entry.
type Event struct {
	Kind EventKind `json:"kind"`
	Pid  int       `json:"pid"`
	At   time.Time `json:"at"`
}

// Target is one demo target and its ledger: starts come from its -starts
// file (the target appends one line per start, before it listens, so a
// doubled restart shows), deaths, stops and continues from sampling
// /proc/<pid>/stat of every pid it ever had.
type Target struct {
	Index            int
	Addr, Port       string
	Starts, PidFile  string
	Argv             []string
	mu               sync.Mutex
	events           []Event
	pids             map[int]string // pid -> last state seen ("dead" when gone)
	born             map[int]time.Time
	offset           int64
	partial          string
	stopSampling     chan struct{}
	samplingFinished chan struct{}
}

func newTarget(index int, bin, dir string, port int) *Target {
	t := &Target{
		Index: index, Addr: fmt.Sprintf("127.0.0.1:%d", port), Port: strconv.Itoa(port),
		Starts:  fmt.Sprintf("%s/target-%d.starts", dir, index),
		PidFile: fmt.Sprintf("%s/target-%d.pid", dir, index),
		pids:    map[int]string{},
		born:    map[int]time.Time{},
	}
	// A tiny serve delay makes every launch write its start line before it
	// binds, so a second restart of the same kill is recorded (and then
	// fails to bind).
	t.Argv = []string{bin, "-addr", t.Addr, "-starts", t.Starts, "-pidfile", t.PidFile, "-serve-delay", "1ms"}
	return t
}

// sample runs until stop, every period.
func (t *Target) sample(period time.Duration) {
	t.stopSampling = make(chan struct{})
	t.samplingFinished = make(chan struct{})
	go func() {
		defer close(t.samplingFinished)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			t.sampleOnce()
			select {
			case <-t.stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
}

func (t *Target) stopSampler() {
	if t.stopSampling != nil {
		close(t.stopSampling)
		<-t.samplingFinished
		t.sampleOnce()
	}
}

func (t *Target) sampleOnce() {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.readStarts(now)
	for pid, last := range t.pids {
		if last == "dead" {
			continue
		}
		st := procState(pid)
		switch {
		case st == "" || st == "Z" || st == "X":
			kind := EvDeath
			if now.Sub(t.born[pid]) < shortLife {
				kind = EvFailedStart
			}
			t.events = append(t.events, Event{kind, pid, now})
			t.pids[pid] = "dead"
			continue
		case st == "T" && last != "T":
			t.events = append(t.events, Event{EvStop, pid, now})
		case st != "T" && last == "T":
			t.events = append(t.events, Event{EvContinue, pid, now})
		}
		t.pids[pid] = st
	}
}

// readStarts reads the lines appended to the starts file since last time.
func (t *Target) readStarts(now time.Time) {
	f, err := os.Open(t.Starts)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(t.offset, 0); err != nil {
		return
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		t.offset += int64(len(line))
		if err != nil { // an unfinished line: keep it for next time
			t.partial += line
			return
		}
		line = t.partial + line
		t.partial = ""
		// "<time> pid <pid> addr <addr>"
		fields := strings.Fields(line)
		if len(fields) >= 3 && fields[1] == "pid" {
			if pid, err := strconv.Atoi(fields[2]); err == nil {
				// The target's own start time, not when the sampler (late
				// on a busy machine) read it: a start must not land in the
				// next experiment's window.
				at := now
				if written, err := time.Parse(time.RFC3339Nano, fields[0]); err == nil && written.Before(now) {
					at = written
				}
				t.events = append(t.events, Event{EvStart, pid, at})
				if _, seen := t.pids[pid]; !seen {
					t.pids[pid] = "R"
					t.born[pid] = now
				}
			}
		}
	}
}

// Events returns the ledger's events at or after since.
func (t *Target) Events(since time.Time) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Event
	for _, e := range t.events {
		if !e.At.Before(since) {
			out = append(out, e)
		}
	}
	return out
}

// Faulted reports whether the target's latest pid is dead or stopped now
// (a fault is in place).
func (t *Target) Faulted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	live := 0
	for _, st := range t.pids {
		if st == "dead" {
			continue
		}
		if st == "T" {
			return true
		}
		live++
	}
	return live == 0
}

// Stopped lists the target's pids in state T now.
func (t *Target) Stopped() []int {
	var out []int
	t.mu.Lock()
	defer t.mu.Unlock()
	for pid, st := range t.pids {
		if st != "dead" && procState(pid) == "T" {
			out = append(out, pid)
		}
	}
	return out
}

// Live lists the target's pids that run now.
func (t *Target) Live() []int {
	var out []int
	t.mu.Lock()
	defer t.mu.Unlock()
	for pid, st := range t.pids {
		if st != "dead" {
			out = append(out, pid)
		}
	}
	return out
}

// Serving reports whether the target answers /healthz.
func (t *Target) Serving() bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + t.Addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// procState is the state letter of /proc/<pid>/stat, "" if pid is gone.
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// Tally counts a ledger's events by kind.
type Tally struct {
	Starts, Deaths, Stops, Continues, FailedStarts int
}

func tally(evs []Event) Tally {
	var t Tally
	for _, e := range evs {
		switch e.Kind {
		case EvStart:
			t.Starts++
		case EvDeath:
			t.Deaths++
		case EvStop:
			t.Stops++
		case EvContinue:
			t.Continues++
		case EvFailedStart:
			t.FailedStarts++
		}
	}
	return t
}
