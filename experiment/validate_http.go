package experiment

import "regexp"

func (h *HTTPProbe) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, checkHTTPURL(field(path, "url"), h.URL)...)
	errs = append(errs, checkMethod(field(path, "method"), h.Method)...)
	errs = append(errs, checkHeaders(field(path, "headers"), h.Headers)...)
	for i, code := range h.ExpectStatus {
		if !httpStatusRange.contains(code) {
			errs = append(errs, fieldErr(index(field(path, "expectStatus"), i), "must be an HTTP status in %d..%d, got %d", httpStatusRange.min, httpStatusRange.max, code))
		}
	}
	if h.BodyMatches != "" {
		if _, err := regexp.Compile(h.BodyMatches); err != nil {
			errs = append(errs, fieldErr(field(path, "bodyMatches"), "invalid regular expression: %v", err))
		}
	}
	errs = append(errs, validateExtraction(path, "jsonPath", h.JSONPath, "expect", h.Expect)...)
	errs = append(errs, optionalDuration(field(path, "maxLatency"), h.MaxLatency)...)
	return errs
}

// validateExtraction checks a JSON path and the comparison of its value:
// a path needs a comparison; the comparison itself must be valid.
func validateExtraction(path, pathField, jsonPath, cmpField string, cmp *Comparison) []FieldError {
	var errs []FieldError
	if jsonPath != "" && cmp == nil {
		errs = append(errs, fieldErr(field(path, pathField), "needs %s to compare the selected value", cmpField))
	}
	if cmp != nil {
		errs = append(errs, cmp.validate(field(path, cmpField))...)
	}
	return errs
}
