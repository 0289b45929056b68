package experiment

func (l *Load) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, offsetDuration(field(path, "startAfter"), l.StartAfter)...)
	errs = append(errs, optionalDuration(field(path, "duration"), l.Duration)...)
	if l.K6 != nil {
		errs = append(errs, l.validateK6(path)...)
	} else {
		errs = append(errs, l.validateArrivals(path)...)
		if len(l.Targets) == 0 {
			errs = append(errs, fieldErr(field(path, "targets"), "required: at least one target"))
		}
	}
	for i := range l.Targets {
		errs = append(errs, l.Targets[i].validate(index(field(path, "targets"), i))...)
	}
	if l.MaxInFlight < 0 {
		errs = append(errs, fieldErr(field(path, "maxInFlight"), "must be >= 1"))
	}
	errs = append(errs, optionalDuration(field(path, "timeout"), l.Timeout)...)
	errs = append(errs, l.validateThresholds(field(path, "thresholds"))...)
	return errs
}

func (l *Load) validateK6(path string) []FieldError {
	var errs []FieldError
	if l.K6.Script == "" {
		errs = append(errs, fieldErr(field(field(path, "k6"), "script"), "required"))
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"rate", l.Rate != ""}, {"stages", len(l.Stages) > 0}, {"targets", len(l.Targets) > 0}} {
		if f.set {
			errs = append(errs, fieldErr(field(path, f.name), "not used with k6 (the script sets the traffic)"))
		}
	}
	return errs
}

// validateArrivals checks the built-in generator's rate or stages.
func (l *Load) validateArrivals(path string) []FieldError {
	var errs []FieldError
	switch {
	case l.Rate == "" && len(l.Stages) == 0:
		return []FieldError{fieldErr(path, "must set rate or stages (or k6)")}
	case l.Rate != "" && len(l.Stages) > 0:
		return []FieldError{fieldErr(field(path, "stages"), "must not be set with rate")}
	case l.Rate != "":
		r, err := ParseRate(l.Rate)
		if err != nil {
			errs = append(errs, fieldErr(field(path, "rate"), "%v", err))
		} else if r.Freq == 0 {
			errs = append(errs, fieldErr(field(path, "rate"), "must be > 0"))
		}
		if l.Duration <= 0 {
			errs = append(errs, fieldErr(field(path, "duration"), "must be > 0 with rate"))
		}
	default:
		for i, s := range l.Stages {
			sp := index(field(path, "stages"), i)
			errs = append(errs, requiredDuration(field(sp, "duration"), s.Duration)...)
			if _, err := ParseRate(s.Target); err != nil {
				errs = append(errs, fieldErr(field(sp, "target"), "%v", err))
			}
		}
		if len(errs) == 0 && l.Duration > 0 && l.Duration != l.stagesSum() {
			errs = append(errs, fieldErr(field(path, "duration"), "must equal the sum of the stages (%s) or be omitted", l.stagesSum()))
		}
	}
	return errs
}

func (t *LoadTarget) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, checkMethod(field(path, "method"), t.Method)...)
	errs = append(errs, checkHTTPURL(field(path, "url"), t.URL)...)
	errs = append(errs, checkHeaders(field(path, "headers"), t.Headers)...)
	if t.Weight < 0 {
		errs = append(errs, fieldErr(field(path, "weight"), "must be >= 0"))
	}
	return errs
}

// validateThresholds parses every threshold, metrics in sorted order.
func (l *Load) validateThresholds(path string) []FieldError {
	var errs []FieldError
	for _, m := range sortedKeys(l.Thresholds) {
		for i, expr := range l.Thresholds[m] {
			if _, err := ParseThreshold(m, expr); err != nil {
				errs = append(errs, fieldErr(index(field(path, m), i), "%v", err))
			}
		}
	}
	return errs
}
