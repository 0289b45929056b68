// Package fault defines the contract every fault kind implements. A fault
// acts on ONE target at a time; resolving the selector to targets and choosing
// among them is the caller's job (activities), as is iterating.
//
// Contract for implementations:
//   - Inject and Revert are idempotent: injecting an injected target, or
//     reverting a reverted or vanished one, succeeds.
//   - Inject records what Revert needs in the returned State (and, where the
//     target can hold it, on the target itself, so a revert after a crash is right).
//   - Errors that retrying cannot fix are classified with package errkind.
//     An Inject that fails after it changed something (a node cordoned,
//     then its eviction refused) returns the State its Revert needs
//     together with the error; a nil State with an error means nothing
//     was changed.
//   - Every method returns promptly when ctx is done.
package fault

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/registry"
)

// State is what an injection recorded for its revert. It is stored in
// workflow history: never put a secret in it.
type State map[string]string

// Run identifies the experiment run a fault belongs to; implementations
// label what they create or change with it.
type Run struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	Experiment string `json:"experiment"`
}

// Request is one injection or revert of one fault on one target.
type Request struct {
	Run    Run               `json:"run"`
	Fault  experiment.Fault  `json:"fault"`
	Target experiment.Target `json:"target"`
	// Injection numbers the fault's injections from 1.
	Injection int `json:"injection"`
}

// Fault is one fault kind.
type Fault interface {
	// Targets returns every target the fault's selector matches now.
	Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error)
	// Inject applies the fault to req.Target.
	Inject(ctx context.Context, req Request) (State, error)
	// Revert undoes the injection that returned state.
	Revert(ctx context.Context, req Request, state State) error
}

// Registry finds fault implementations by kind.
type Registry = registry.Registry[experiment.FaultKind, Fault]

// NewRegistry returns an empty fault registry.
func NewRegistry() *Registry { return registry.New[experiment.FaultKind, Fault]() }

// EncodeJSON stores v, a driver's record of an injection, as JSON under
// key: a State of one key that a revert reads back with DecodeJSON.
func EncodeJSON[T any](key string, v T) (State, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s state: %w", key, err)
	}
	return State{key: string(b)}, nil
}

// DecodeJSON reads back what EncodeJSON stored under key; a State
// without key (nothing was recorded) gives the zero T.
func DecodeJSON[T any](s map[string]string, key string) (T, error) {
	var v T
	raw, ok := s[key]
	if !ok {
		return v, nil
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, fmt.Errorf("%s state: %w", key, err)
	}
	return v, nil
}
