// Package experiment defines the Tempest experiment specification: the typed
// spec a user writes (YAML or JSON), its defaults, its validation and its JSON
// Schema, plus the report types an experiment run produces.
//
// Contract:
//   - Decode parses a document, rejects unknown fields and reports every
//     problem at once, each with its field path and YAML line
//     ("spec.faults[0].duration: must be > 0 (line 14)").
//   - Validate is pure and deterministic, so workflows may call it.
//   - Every duration is a Duration ("15s"); every enum is a typed string.
//   - A fault or probe names its kind by the one kind-specific block it sets
//     (process:, http:, ...); Kind() reports it. Implementations are found in
//     registries keyed by FaultKind and ProbeKind, never by a switch.
package experiment
