// Package errkind classifies errors that must not be retried. Fault, probe
// and load implementations return these; the activity boundary turns them
// into non-retryable Temporal ApplicationErrors whose type is the Type string.
//
// The types are the contract with workflows, the CLI and users:
//
//	InvalidSpec    the spec cannot be carried out as written
//	Forbidden      the credentials may not do this (RBAC, permissions)
//	UnknownTarget  a named target does not exist
//	NoTargets      a selector matched nothing
//	Refused        a safety guard refused it (protected namespace, blast radius)
//	SecretUnavailable  a secret reference could not be resolved
//	Fenced         a late or duplicate inject attempt: its injection was
//	               already reverted, or its run has closed; nothing was changed
//	Misrouted      the target belongs to another host or cluster than the
//	               worker's: nothing was changed (a routing error, never retried here)
package errkind

import (
	"errors"
	"fmt"
)

// Error types; see the package doc.
const (
	InvalidSpec       = "InvalidSpec"
	Forbidden         = "Forbidden"
	UnknownTarget     = "UnknownTarget"
	NoTargets         = "NoTargets"
	Refused           = "Refused"
	SecretUnavailable = "SecretUnavailable"
	Fenced            = "Fenced"
	Misrouted         = "Misrouted"
)

// Error is a classified error.
type Error struct {
	Type string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of type typ with a formatted message; %w is honoured.
func New(typ, format string, args ...any) error {
	return &Error{Type: typ, Err: fmt.Errorf(format, args...)}
}

// Wrap classifies err as typ; nil stays nil.
func Wrap(typ string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Type: typ, Err: err}
}

// TypeOf returns the type of the first classified error in err's chain.
func TypeOf(err error) (string, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Type, true
	}
	return "", false
}
