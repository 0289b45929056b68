package experiment

import (
	"strings"
	"text/template"
)

func (p *ProcessFault) validate(path string) []FieldError {
	var errs []FieldError
	errs = append(errs, p.Selector.validate(field(path, "selector"))...)
	errs = append(errs, checkEnum(field(path, "action"), p.Action)...)
	if p.Signal != "" {
		if p.Action == ProcessPause {
			errs = append(errs, fieldErr(field(path, "signal"), "only used with action kill (pause sends SIGSTOP)"))
		} else if _, err := ParseSignal(p.Signal); err != nil {
			errs = append(errs, fieldErr(field(path, "signal"), "%v", err))
		}
	}
	errs = append(errs, p.validateRestart(path)...)
	return errs
}

func (p *ProcessFault) validateRestart(path string) []FieldError {
	var errs []FieldError
	restart := field(path, "restart")
	if len(p.Restart) > 0 && p.Action == ProcessPause {
		errs = append(errs, fieldErr(restart, "only used with action kill (pause is reverted with SIGCONT)"))
	}
	if len(p.Restart) > 0 && p.Restart[0] == "" {
		errs = append(errs, fieldErr(index(restart, 0), "must name a program"))
	}
	for i, arg := range p.Restart {
		if _, err := template.New("restart").Option("missingkey=error").Parse(arg); err != nil {
			errs = append(errs, fieldErr(index(restart, i), "invalid template: %v", err))
		}
	}
	if len(p.Restart) == 0 {
		if p.RestartDir != "" {
			errs = append(errs, fieldErr(field(path, "restartDir"), "only used with restart"))
		}
		if len(p.RestartEnv) > 0 {
			errs = append(errs, fieldErr(field(path, "restartEnv"), "only used with restart"))
		}
	}
	for _, k := range sortedKeys(p.RestartEnv) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			errs = append(errs, fieldErr(field(field(path, "restartEnv"), k), "invalid environment variable name"))
		}
	}
	errs = append(errs, optionalDuration(field(path, "restartTimeout"), p.RestartTimeout)...)
	return errs
}

func (s ProcessSelector) validate(path string) []FieldError {
	errs := exactlyOne(path, []string{"pidFile", "name", "port"},
		[]bool{s.PIDFile != "", s.Name != "", s.Port != 0})
	if s.Port != 0 && !portRange.contains(s.Port) {
		errs = append(errs, fieldErr(field(path, "port"), "must be in %d..%d, got %d", portRange.min, portRange.max, s.Port))
	}
	return errs
}
