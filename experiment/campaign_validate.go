package experiment

import (
	"slices"
	"strings"
)

// Validate reports every problem of the campaign as a *SpecError with field
// paths. Call ApplyCampaignDefaults first. It is pure and deterministic. A
// step's experiment may be a file path (before LoadCampaign resolved it) or
// inline; inline experiments are validated in full.
func (c *Campaign) Validate() error { return specError(c.validate()) }

func (c *Campaign) validate() []FieldError {
	var errs []FieldError
	if c.APIVersion != "" && c.APIVersion != APIVersion {
		errs = append(errs, fieldErr("apiVersion", "unsupported version %q: must be %q", c.APIVersion, APIVersion))
	}
	switch c.Kind {
	case KindCampaign:
	case "":
		errs = append(errs, fieldErr("kind", "required: must be %q", KindCampaign))
	default:
		errs = append(errs, fieldErr("kind", "unknown kind %q: must be %q", c.Kind, KindCampaign))
	}
	errs = append(errs, c.Metadata.validate("metadata")...)
	s := &c.Spec
	steps := field("spec", "steps")
	switch {
	case len(s.Steps) == 0:
		errs = append(errs, fieldErr(steps, "required: at least one step"))
	case len(s.Steps) > MaxCampaignSteps:
		errs = append(errs, fieldErr(steps, "at most %d steps", MaxCampaignSteps))
	}
	for i := range s.Steps {
		errs = append(errs, s.Steps[i].validate(index(steps, i))...)
	}
	guards := map[string]string{}
	for i := range s.Guards {
		p := index(field("spec", "guards"), i)
		g := &s.Guards[i]
		errs = append(errs, uniqueName(guards, g.Name, p)...)
		errs = append(errs, g.validate(p)...)
		if g.Mode != "" && g.Mode != ModeContinuous {
			errs = append(errs, fieldErr(field(p, "mode"), "a guard watches the whole campaign: mode must be Continuous, not %s", g.Mode))
		}
	}
	errs = append(errs, optionalDuration(field("spec", "maxDuration"), s.MaxDuration)...)
	return errs
}

func (s *CampaignStep) validate(path string) []FieldError {
	var errs []FieldError
	if s.Name != "" && (len(s.Name) > maxNameLength || !dnsLabel.MatchString(s.Name)) {
		errs = append(errs, fieldErr(field(path, "name"), "%q must be at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit", s.Name))
	}
	errs = append(errs, exactlyOne(path, []string{"experiment", "inline", "parallel"},
		[]bool{s.Experiment != "", s.Inline != nil, len(s.Parallel) > 0})...)
	if s.Experiment != "" || s.Inline != nil {
		errs = append(errs, StepExperiment{Experiment: s.Experiment, Inline: s.Inline}.validate(path)...)
	}
	if len(s.Parallel) > MaxParallel {
		errs = append(errs, fieldErr(field(path, "parallel"), "at most %d experiments", MaxParallel))
	}
	for k, e := range s.Parallel {
		p := index(field(path, "parallel"), k)
		errs = append(errs, exactlyOne(p, []string{"experiment", "inline"}, []bool{e.Experiment != "", e.Inline != nil})...)
		errs = append(errs, e.validate(p)...)
	}
	if a := s.Approval; a != nil {
		p := field(path, "approval")
		if a.Timeout <= 0 {
			errs = append(errs, fieldErr(field(p, "timeout"), "must be > 0: how long to wait for an answer"))
		}
		errs = append(errs, boundedDuration(field(p, "timeout"), a.Timeout)...)
		if a.OnTimeout != "" && !slices.Contains(ApprovalTimeoutActions, string(a.OnTimeout)) {
			errs = append(errs, fieldErr(field(p, "onTimeout"), "unknown value %q: must be one of %s", a.OnTimeout, strings.Join(ApprovalTimeoutActions, ", ")))
		}
	}
	if r := s.Repeat; r != nil {
		p := field(path, "repeat")
		errs = append(errs, exactlyOne(p, []string{"count", "until"}, []bool{r.Count != 0, r.Until != 0})...)
		if r.Count < 0 || r.Count > MaxRepeat {
			errs = append(errs, fieldErr(field(p, "count"), "must be in 1..%d", MaxRepeat))
		}
		errs = append(errs, optionalDuration(field(p, "until"), r.Until)...)
	}
	errs = append(errs, offsetDuration(field(path, "cooldown"), s.Cooldown)...)
	return errs
}

// validate checks one experiment of a step: an inline experiment in full
// (its paths below path.inline), a file path for its form.
func (e StepExperiment) validate(path string) []FieldError {
	var errs []FieldError
	if e.Experiment != "" && strings.ContainsRune(e.Experiment, 0) {
		errs = append(errs, fieldErr(field(path, "experiment"), "invalid path"))
	}
	if e.Inline != nil {
		inline := field(path, "inline")
		for _, p := range e.Inline.validate() {
			p.Path = field(inline, p.Path)
			errs = append(errs, p)
		}
	}
	return errs
}
