// Package experiment defines the Tempest experiment specification: the typed
// spec a user writes (YAML or JSON), its defaults, its validation and what
// its JSON Schema is generated from (cmd/schemagen writes
// schema/experiment.schema.json), plus the report types an experiment run
// produces.
//
// Contract:
//   - Decode parses a document, rejects unknown fields and reports every
//     problem at once, each with its field path and YAML line
//     ("spec.faults[0].duration: must be > 0 (line 14)").
//     The error is a *SpecError: one line per problem, in document order.
//   - ApplyDefaults fills the defaults documented on the types; Decode calls
//     it before validating. It is pure and idempotent.
//   - Validate is pure and deterministic, so workflows may call it (it
//     passes workflowcheck). Each kind block validates itself; the
//     experiment dispatches through the list of blocks, not a switch.
//   - ChaosWindow, StartBudget, EndBudget and PlannedDuration (plan.go)
//     compute the plan without a clock; an experiment whose plan exceeds
//     safety.maxDuration is invalid.
//   - ParseThreshold, ParseRate and ParseSignal parse the small languages
//     of the spec (k6 thresholds, "100/s", "SIGKILL") for the packages that
//     carry them out.
//   - Every duration is a Duration ("15s"); every enum is a typed string.
//   - A fault or probe names its kind by the one kind-specific block it sets
//     (process:, http:, ...); Kind() reports it. Implementations are found in
//     registries keyed by FaultKind and ProbeKind, never by a switch.
package experiment
