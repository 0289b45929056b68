package experiment

func (p *PodDeleteFault) validate(path string) []FieldError {
	errs := p.Selector.validate(field(path, "selector"))
	if p.GracePeriod != nil {
		errs = append(errs, offsetDuration(field(path, "gracePeriod"), *p.GracePeriod)...)
		if p.Force && *p.GracePeriod > 0 {
			errs = append(errs, fieldErr(field(path, "gracePeriod"), "not used with force (grace period 0)"))
		}
	}
	return errs
}
