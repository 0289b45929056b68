package worker

import (
	"errors"
	"fmt"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe/cmdprobe"
	"github.com/tempest-chaos/tempest/probe/httpprobe"
	"github.com/tempest-chaos/tempest/probe/mongoprobe"
	"github.com/tempest-chaos/tempest/probe/promprobe"
	"github.com/tempest-chaos/tempest/probe/tcpprobe"
)

// probeChecks are the kind-specific checks that need a probe package
// (extended JSON filters, PromQL, JSON paths); experiment.Validate does the rest.
func probeChecks() map[experiment.ProbeKind]func(experiment.Probe) error {
	return map[experiment.ProbeKind]func(experiment.Probe) error{
		experiment.ProbeHTTP:       httpprobe.Validate,
		experiment.ProbeCmd:        cmdprobe.Validate,
		experiment.ProbeMongo:      mongoprobe.Validate,
		experiment.ProbePrometheus: promprobe.Validate,
		experiment.ProbeTCP:        tcpprobe.Validate,
	}
}

// CheckKinds runs the probe kinds' own spec checks, with the probe's field
// path; it resolves no secret and touches no network.
func CheckKinds(exp experiment.Experiment) error {
	checks := probeChecks()
	var errs []error
	for i, p := range exp.Spec.Probes {
		check, ok := checks[p.Kind()]
		if !ok {
			continue
		}
		if err := check(p); err != nil {
			errs = append(errs, fmt.Errorf("spec.probes[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}
