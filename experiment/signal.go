package experiment

import (
	"fmt"
	"strconv"
	"strings"
)

// linuxSignals maps signal names without the SIG prefix to their Linux
// numbers (x86-64 and arm64).
func linuxSignals() map[string]int {
	return map[string]int{
		"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7,
		"FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13,
		"ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19,
		"TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
		"VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31,
	}
}

// ParseSignal turns a signal as written in a spec ("SIGKILL", "KILL",
// "sigterm", "9") into its Linux number.
func ParseSignal(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("signal number %d out of range 1..64", n)
		}
		return n, nil
	}
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG")
	if n, ok := linuxSignals()[name]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("unknown signal %q: use a name such as SIGKILL or SIGTERM, or a number", s)
}
