package load

import (
	"errors"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// Validate checks a load spec without sending anything or resolving
// secrets: rates and stages, targets and their templates, thresholds. Every
// problem is reported with its field path, as errkind.InvalidSpec.
func Validate(spec experiment.Load) error {
	if spec.K6 != nil {
		if spec.K6.Script == "" {
			return errkind.New(errkind.InvalidSpec, "spec.load.k6.script: required")
		}
		_, err := ParseThresholds(spec.Thresholds)
		return errkind.Wrap(errkind.InvalidSpec, err)
	}
	var errs []error
	if _, err := newSchedule(spec); err != nil {
		errs = append(errs, err)
	}
	if len(spec.Targets) == 0 {
		errs = append(errs, errors.New("spec.load.targets: at least one target is needed"))
	}
	for i, t := range spec.Targets {
		if _, err := compileTarget(t, targetPath(i)); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := ParseThresholds(spec.Thresholds); err != nil {
		errs = append(errs, err)
	}
	return errkind.Wrap(errkind.InvalidSpec, errors.Join(errs...))
}
