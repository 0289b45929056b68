package experiment

import (
	"fmt"
	"regexp"
	"time"
)

// Limits that keep plans within time.Duration and experiments sane.
const (
	// MaxSpecDuration bounds every duration field of a spec.
	MaxSpecDuration = Duration(1000 * time.Hour)
	// MaxInjections bounds how often one fault is injected.
	MaxInjections = 10_000
	// MaxRetries bounds a probe's retries.
	MaxRetries = 1000
	// MinHistoryEvents is the smallest safety.maxHistoryEvents: room for
	// the phases around one injection.
	MinHistoryEvents = 50
)

var dnsLabel = regexp.MustCompile(dnsLabelPattern)

// Validate reports every problem of the spec as a *SpecError, with field
// paths (and no lines; Decode adds them). It is pure and deterministic:
// workflows call it, so it does no I/O, reads no clock and its output never
// depends on map iteration order. Call ApplyDefaults first; unset fields
// that have defaults are accepted either way.
func (e *Experiment) Validate() error {
	return specError(e.validate())
}

func (e *Experiment) validate() []FieldError {
	var errs []FieldError
	if e.APIVersion != "" && e.APIVersion != APIVersion {
		errs = append(errs, fieldErr("apiVersion", "unsupported version %q: must be %q", e.APIVersion, APIVersion))
	}
	switch e.Kind {
	case KindExperiment:
	case "":
		errs = append(errs, fieldErr("kind", "required: must be %q", KindExperiment))
	default:
		errs = append(errs, fieldErr("kind", "unknown kind %q: must be %q", e.Kind, KindExperiment))
	}
	errs = append(errs, e.Metadata.validate("metadata")...)
	errs = append(errs, e.Spec.validate("spec")...)
	return errs
}

func (m Metadata) validate(path string) []FieldError {
	name := field(path, "name")
	switch {
	case m.Name == "":
		return []FieldError{fieldErr(name, "required")}
	case len(m.Name) > maxNameLength || !dnsLabel.MatchString(m.Name):
		return []FieldError{fieldErr(name, "%q must be at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit", m.Name)}
	}
	return nil
}

func (s *Spec) validate(path string) []FieldError {
	var errs []FieldError
	if len(s.Faults) == 0 && len(s.Probes) == 0 {
		errs = append(errs, fieldErr(path, "must have at least one fault or probe"))
	}
	faultNames := map[string]string{}
	for i := range s.Faults {
		p := index(field(path, "faults"), i)
		errs = append(errs, uniqueName(faultNames, s.Faults[i].Name, p)...)
		errs = append(errs, s.Faults[i].validate(p)...)
	}
	probeNames := map[string]string{}
	for i := range s.Probes {
		p := index(field(path, "probes"), i)
		errs = append(errs, uniqueName(probeNames, s.Probes[i].Name, p)...)
		errs = append(errs, s.Probes[i].validate(p)...)
		for j, name := range s.Probes[i].Faults {
			if _, ok := faultNames[name]; !ok {
				errs = append(errs, fieldErr(index(field(p, "faults"), j), "names unknown fault %q", name))
			}
		}
	}
	if s.Load != nil {
		errs = append(errs, s.Load.validate(field(path, "load"))...)
	}
	errs = append(errs, s.Rollback.validate(field(path, "rollback"))...)
	errs = append(errs, s.Safety.validate(field(path, "safety"))...)
	if len(errs) == 0 {
		errs = append(errs, s.validatePlan(path)...)
		errs = append(errs, s.validateRevertBounds(path)...)
	}
	return errs
}

// validateRevertBounds refuses a fault whose own wait could outlast its
// revert's bound:
//   - a process restart's readiness wait (process.restartTimeout) must be
//     shorter than rollback.attemptTimeout, or every attempt would be cut
//     off before the restart could be judged;
//   - a drain's timeout must be shorter than rollback.deadline: the
//     rollback waits for an in-flight inject to resolve before it reverts
//     it, so an abort during a slow drain could give up on the uncordon.
func (s *Spec) validateRevertBounds(path string) []FieldError {
	var errs []FieldError
	for i, f := range s.Faults {
		p := index(field(path, "faults"), i)
		if f.Process != nil && len(f.Process.Restart) > 0 {
			errs = append(errs, shorterThan(field(p, "process.restartTimeout"), f.Process.RestartTimeout, DefaultRestartTimeout,
				"spec.rollback.attemptTimeout", s.Rollback.AttemptTimeout, DefaultRollbackAttempt,
				"a revert attempt must be able to wait for the restart")...)
		}
		if f.NodeDrain != nil {
			errs = append(errs, shorterThan(field(p, "nodeDrain.timeout"), f.NodeDrain.Timeout, DefaultDrainTimeout,
				"spec.rollback.deadline", s.Rollback.Deadline, DefaultRollbackDeadline,
				"the rollback waits for an in-flight drain before it uncordons")...)
		}
	}
	return errs
}

// shorterThan refuses a duration (or its default) at path that is not
// shorter than the bound (or its default) named boundName.
func shorterThan(path string, d, dDefault Duration, boundName string, bound, boundDefault Duration, why string) []FieldError {
	if d <= 0 {
		d = dDefault
	}
	if bound <= 0 {
		bound = boundDefault
	}
	if d < bound {
		return nil
	}
	return []FieldError{fieldErr(path, "%s must be shorter than %s (%s): %s", d, boundName, bound, why)}
}

// uniqueName records name at path and reports an earlier use.
func uniqueName(seen map[string]string, name, path string) []FieldError {
	if name == "" {
		return nil
	}
	if first, ok := seen[name]; ok {
		return []FieldError{fieldErr(field(path, "name"), "duplicate name %q (also %s)", name, first)}
	}
	seen[name] = path
	return nil
}

func (r Rollback) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, optionalDuration(field(path, "attemptTimeout"), r.AttemptTimeout)...)
	errs = append(errs, optionalDuration(field(path, "deadline"), r.Deadline)...)
	if r.AttemptTimeout > 0 && r.Deadline > 0 && r.AttemptTimeout > r.Deadline {
		errs = append(errs, fieldErr(field(path, "attemptTimeout"), "must be <= deadline (%s)", r.Deadline))
	}
	return errs
}

func (s Safety) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, optionalDuration(field(path, "maxDuration"), s.MaxDuration)...)
	if s.MaxBlastRadiusPercent < 0 || s.MaxBlastRadiusPercent > 100 {
		errs = append(errs, fieldErr(field(path, "maxBlastRadiusPercent"), "must be in 1..100, got %d", s.MaxBlastRadiusPercent))
	}
	if s.MaxHistoryEvents != 0 && !historyRange.contains(s.MaxHistoryEvents) {
		errs = append(errs, fieldErr(field(path, "maxHistoryEvents"), "must be in %d..%d, got %d", historyRange.min, historyRange.max, s.MaxHistoryEvents))
	}
	for i, ns := range s.AllowNamespaces {
		if !dnsLabel.MatchString(ns) {
			errs = append(errs, fieldErr(index(field(path, "allowNamespaces"), i), "%q is not a namespace name", ns))
		}
	}
	return errs
}

// validatePlan refuses a spec whose plan is longer than safety.maxDuration.
// It runs only on an otherwise valid spec, whose durations are bounded.
func (s *Spec) validatePlan(path string) []FieldError {
	limit := s.Safety.MaxDuration
	if limit <= 0 {
		limit = DefaultMaxDuration
	}
	e := Experiment{Spec: *s}
	planned := e.PlannedDuration()
	if planned <= limit {
		return nil
	}
	return []FieldError{fieldErr(field(path, "safety.maxDuration"),
		"planned duration %s (probes before chaos %s, chaos window %s, probes after %s) exceeds %s",
		planned, e.StartBudget(), e.ChaosWindow(), e.EndBudget(), limit)}
}

// requiredDuration reports a duration that must be set and positive.
func requiredDuration(path string, d Duration) []FieldError {
	if d <= 0 {
		return []FieldError{fieldErr(path, "must be > 0")}
	}
	return boundedDuration(path, d)
}

// optionalDuration reports a duration that, when set, must be positive
// (zero means its default).
func optionalDuration(path string, d Duration) []FieldError {
	if d < 0 {
		return []FieldError{fieldErr(path, "must be > 0")}
	}
	return boundedDuration(path, d)
}

// offsetDuration reports an offset that must not be negative.
func offsetDuration(path string, d Duration) []FieldError {
	if d < 0 {
		return []FieldError{fieldErr(path, "must be >= 0")}
	}
	return boundedDuration(path, d)
}

func boundedDuration(path string, d Duration) []FieldError {
	if d > MaxSpecDuration {
		return []FieldError{fieldErr(path, "must be at most %s", MaxSpecDuration)}
	}
	return nil
}

// exactlyOne reports unless exactly one of the named values is set.
func exactlyOne(path string, names []string, set []bool) []FieldError {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	if n == 1 {
		return nil
	}
	return []FieldError{fieldErr(path, "must set exactly one of %s%s", fmtList(names), countSet(n))}
}

func countSet(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", but %d are set", n)
}
