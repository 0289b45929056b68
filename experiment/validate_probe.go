package experiment

import "strings"

// validate checks the probe's common fields and its one kind block.
func (p *Probe) validate(path string) []FieldError {
	var errs []FieldError
	if p.Name == "" {
		errs = append(errs, fieldErr(field(path, "name"), "required"))
	}
	errs = append(errs, requireEnum(field(path, "mode"), p.Mode)...)
	errs = append(errs, optionalDuration(field(path, "timeout"), p.Timeout)...)
	errs = append(errs, optionalDuration(field(path, "interval"), p.Interval)...)
	errs = append(errs, offsetDuration(field(path, "initialDelay"), p.InitialDelay)...)
	switch {
	case p.Retries < 0:
		errs = append(errs, fieldErr(field(path, "retries"), "must be >= 0"))
	case p.Retries > MaxRetries:
		errs = append(errs, fieldErr(field(path, "retries"), "must be at most %d", MaxRetries))
	case p.Retries > 0 && p.RunsDuringChaos():
		errs = append(errs, fieldErr(field(path, "retries"), "only used with modes SOT, EOT and Edge"))
	}
	if p.Weight < 0 {
		errs = append(errs, fieldErr(field(path, "weight"), "must be >= 0"))
	}
	if p.MinSuccessPercent < 0 || p.MinSuccessPercent > 100 {
		errs = append(errs, fieldErr(field(path, "minSuccessPercent"), "must be in 0..100"))
	}
	if len(p.Faults) > 0 && p.Mode != ModeOnChaos {
		errs = append(errs, fieldErr(field(path, "faults"), "only used with mode OnChaos"))
	}
	errs = append(errs, validateBlocks(path, p.probeBlocks())...)
	errs = append(errs, p.validateHost(path)...)
	return errs
}

// validateHost checks that host: names a host, on a probe that does not
// route by cluster.
func (p *Probe) validateHost(path string) []FieldError {
	if p.Host == "" {
		return nil
	}
	f := field(path, "host")
	switch {
	case p.K8s != nil:
		return []FieldError{fieldErr(f, "a k8s probe runs on its cluster's workers: name k8s.cluster instead")}
	case strings.ContainsAny(p.Host, hostForbidden):
		return []FieldError{fieldErr(f, "must be a host name (no '@', '/' or spaces)")}
	}
	return nil
}
