package experiment

import (
	"slices"
	"strings"
)

// validate checks the fault's common fields and its one kind block.
func (f *Fault) validate(path string) []FieldError {
	var errs []FieldError
	if f.Name == "" {
		errs = append(errs, fieldErr(field(path, "name"), "required"))
	}
	errs = append(errs, offsetDuration(field(path, "startAfter"), f.StartAfter)...)
	errs = append(errs, requiredDuration(field(path, "duration"), f.Duration)...)
	errs = append(errs, optionalDuration(field(path, "interval"), f.Interval)...)
	errs = append(errs, optionalDuration(field(path, "hold"), f.Hold)...)
	if len(errs) == 0 {
		errs = append(errs, f.validateTimeline(path)...)
	}
	errs = append(errs, f.validateSelection(path)...)
	errs = append(errs, checkEnum(field(path, "sequence"), f.Sequence)...)
	errs = append(errs, validateBlocks(path, f.faultBlocks())...)
	errs = append(errs, f.validateHost(path)...)
	errs = append(errs, validateClusterName(field(path, "cluster"), f.Cluster)...)
	return errs
}

// validateHost checks that host: names a host, on a host fault only.
func (f *Fault) validateHost(path string) []FieldError {
	if f.Host == "" {
		return nil
	}
	p := field(path, "host")
	kind := f.Kind()
	hostKinds := HostKinds()
	isHost := slices.Contains(hostKinds, kind)
	switch {
	case kind != "" && !isHost:
		return []FieldError{fieldErr(p, "only host faults (%v) run on a host; a %s fault names its cluster: instead", hostKinds, kind)}
	case strings.ContainsAny(f.Host, hostForbidden):
		return []FieldError{fieldErr(p, "must be a host name (no '@', '/' or spaces)")}
	}
	return nil
}

// validateTimeline checks that interval, hold and duration fit together.
func (f *Fault) validateTimeline(path string) []FieldError {
	var errs []FieldError
	if f.Interval > 0 && f.Interval >= f.Duration {
		errs = append(errs, fieldErr(field(path, "interval"), "must be < duration (%s)", f.Duration))
	}
	switch {
	case f.Hold > 0 && f.Interval > 0 && f.Hold > f.Interval:
		errs = append(errs, fieldErr(field(path, "hold"), "must be <= interval (%s)", f.Interval))
	case f.Hold > 0 && f.Interval == 0 && f.Hold > f.Duration:
		errs = append(errs, fieldErr(field(path, "hold"), "must be <= duration (%s)", f.Duration))
	}
	if len(errs) == 0 && f.Injections() > MaxInjections {
		errs = append(errs, fieldErr(field(path, "interval"), "too short: %d injections, at most %d", f.Injections(), MaxInjections))
	}
	return errs
}

// validateSelection checks that mode and value fit together.
func (f *Fault) validateSelection(path string) []FieldError {
	if errs := checkEnum(field(path, "mode"), f.Mode); errs != nil {
		return errs
	}
	value := field(path, "value")
	switch f.Mode {
	case SelectCount:
		if f.Value < 1 {
			return []FieldError{fieldErr(value, "must be >= 1 with mode count")}
		}
	case SelectPercent:
		if !percentRange.contains(f.Value) {
			return []FieldError{fieldErr(value, "must be in %d..%d with mode percent", percentRange.min, percentRange.max)}
		}
	default:
		if f.Value != 0 {
			return []FieldError{fieldErr(value, "only used with mode count or percent")}
		}
	}
	return nil
}

// validateClusterName checks a cluster: name. It names a task queue
// ("<queue>@<cluster>"), beside which workers poll "<queue>@long" for
// long activities: "long", '@', '/' and spaces would collide or not route.
func validateClusterName(path, name string) []FieldError {
	switch {
	case name == "":
		return nil
	case name == "long":
		return []FieldError{fieldErr(path, "\"long\" is reserved (workers poll <queue>@long for long activities)")}
	case strings.ContainsAny(name, hostForbidden):
		return []FieldError{fieldErr(path, "must be a cluster name (no '@', '/' or spaces)")}
	}
	return nil
}
