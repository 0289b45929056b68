package experiment

func (p *PrometheusProbe) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, checkHTTPURL(field(path, "url"), p.URL)...)
	if p.Query == "" {
		errs = append(errs, fieldErr(field(path, "query"), "required"))
	}
	errs = append(errs, checkHeaders(field(path, "headers"), p.Headers)...)
	if r := p.Range; r != nil {
		rp := field(path, "range")
		errs = append(errs, requiredDuration(field(rp, "window"), r.Window)...)
		errs = append(errs, optionalDuration(field(rp, "step"), r.Step)...)
		if r.Step > 0 && r.Window > 0 && r.Step > r.Window {
			errs = append(errs, fieldErr(field(rp, "step"), "must be <= window (%s)", r.Window))
		}
		errs = append(errs, requireEnum(field(rp, "reduce"), r.Reduce)...)
	}
	errs = append(errs, p.Expect.validate(field(path, "expect"))...)
	errs = append(errs, checkEnum(field(path, "onEmpty"), p.OnEmpty)...)
	return errs
}
