// Command tempest runs chaos experiments as durable Temporal workflows.
//
// Exit codes: 0 Passed (or a dry run), 1 Failed, 2 Errored, Aborted or
// invalid input.
package main

import (
	"errors"
	"fmt"
	"os"
)

// Exit codes.
const (
	exitPassed  = 0
	exitFailed  = 1
	exitErrored = 2
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func main() {
	err := newRootCommand().Execute()
	if err == nil {
		return
	}
	code := exitErrored
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(os.Stderr, "tempest:", msg)
	}
	os.Exit(code)
}
