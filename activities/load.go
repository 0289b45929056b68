package activities

import (
	"context"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// LoadGenerator runs an experiment's load. Package load implements it.
type LoadGenerator interface {
	// Generate runs spec from startAt, heartbeating through progress, and
	// resumes from resume (a previous attempt's progress) when not nil.
	Generate(ctx context.Context, in LoadInput) (experiment.LoadReport, error)
}

// Phase windows of an experiment's load, by the workflow's plan.
type PhaseWindow struct {
	Phase string    `json:"phase"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// LoadInput runs the experiment's load.
type LoadInput struct {
	Load    experiment.Load `json:"load"`
	StartAt time.Time       `json:"startAt"`
	Phases  []PhaseWindow   `json:"phases"`
}

// GenerateLoad runs the experiment's load on this worker's generator.
func (a *Activities) GenerateLoad(ctx context.Context, in LoadInput) (experiment.LoadReport, error) {
	if a.Load == nil {
		return experiment.LoadReport{}, classify(errkind.New(errkind.InvalidSpec, "this worker cannot generate load"))
	}
	rep, err := a.Load.Generate(ctx, in)
	return rep, classify(err)
}
