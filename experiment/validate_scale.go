package experiment

func (s *ScaleFault) validate(path string) []FieldError {
	errs := requireEnum(field(path, "kind"), s.Kind)
	errs = append(errs, s.Selector.validate(field(path, "selector"))...)
	if s.Replicas < 0 {
		errs = append(errs, fieldErr(field(path, "replicas"), "must be >= 0"))
	}
	return errs
}
