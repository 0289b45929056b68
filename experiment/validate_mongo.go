package experiment

import "encoding/json"

func (m *MongoProbe) validate(path string) []FieldError {
	var errs []FieldError
	for _, req := range []struct{ name, value string }{
		{"uri", string(m.URI)}, {"database", m.Database}, {"collection", m.Collection},
	} {
		if req.value == "" {
			errs = append(errs, fieldErr(field(path, req.name), "required"))
		}
	}
	errs = append(errs, checkEnum(field(path, "operation"), m.Operation)...)
	if m.Filter != "" && !isJSONOf(m.Filter, '{') {
		errs = append(errs, fieldErr(field(path, "filter"), "must be a JSON object such as {\"isDelivered\": false}"))
	}
	switch {
	case m.Operation == MongoAggregate && m.Pipeline == "":
		errs = append(errs, fieldErr(field(path, "pipeline"), "required with operation aggregate"))
	case m.Operation != MongoAggregate && m.Pipeline != "":
		errs = append(errs, fieldErr(field(path, "pipeline"), "only used with operation aggregate"))
	case m.Pipeline != "" && !isJSONOf(m.Pipeline, '['):
		errs = append(errs, fieldErr(field(path, "pipeline"), "must be a JSON array of stages"))
	}
	if m.Field != "" && m.Operation == MongoCount {
		errs = append(errs, fieldErr(field(path, "field"), "not used with operation count"))
	}
	errs = append(errs, m.Expect.validate(field(path, "expect"))...)
	return errs
}

// isJSONOf reports whether s is valid JSON whose first token is open.
func isJSONOf(s string, open byte) bool {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return false
	}
	switch open {
	case '{':
		_, ok := v.(map[string]any)
		return ok
	default:
		_, ok := v.([]any)
		return ok
	}
}
