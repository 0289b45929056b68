package experiment

import "time"

// KindCampaign is the document kind of a campaign: experiments run in
// order, with approval gates, repeats and guards, by one CampaignWorkflow.
const KindCampaign = "Campaign"

// Defaults of a campaign.
const (
	// DefaultCampaignMaxDuration bounds a campaign without maxDuration.
	DefaultCampaignMaxDuration = Duration(24 * time.Hour)
	// MaxCampaignSteps bounds the steps of one campaign document.
	MaxCampaignSteps = 10_000
	// MaxParallel bounds the experiments of one parallel group.
	MaxParallel = 50
	// MaxRepeat bounds repeat.count.
	MaxRepeat = 10_000
)

// Campaign is a sequence of experiments run as one durable workflow: steps
// in order, each one experiment or a parallel group, with optional approval
// gates, repeats and cooldowns, watched for the whole campaign by guards.
type Campaign struct {
	// APIVersion is the spec version; defaults to APIVersion.
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind must be "Campaign".
	Kind     string       `json:"kind"`
	Metadata Metadata     `json:"metadata"`
	Spec     CampaignSpec `json:"spec"`
}

// CampaignSpec is what a campaign runs.
type CampaignSpec struct {
	// Description says what the campaign is for, in plain words.
	Description string `json:"description,omitempty"`
	// Steps run in order; a step starts when the one before it has ended
	// (and its cooldown passed).
	Steps []CampaignStep `json:"steps"`
	// Guards are probes watched for the whole campaign, every interval (mode
	// Continuous, the default). One failed observation is a breach: the
	// running experiments are aborted (their faults reverted) and the
	// campaign stops, Failed, naming the guard.
	Guards []Probe `json:"guards,omitempty"`
	// StopOnFailure stops the campaign after a step whose experiment did
	// not pass (default false: the campaign goes on, and ends Failed). A
	// step's own stopOnFailure overrides it.
	StopOnFailure bool `json:"stopOnFailure,omitempty"`
	// MaxDuration bounds the whole campaign (default 24h): when it passes
	// the running experiments are aborted and reverted and the campaign
	// ends Aborted.
	MaxDuration Duration `json:"maxDuration,omitempty"`
}

// CampaignStep is one step: exactly one of experiment, inline or parallel.
type CampaignStep struct {
	// Name labels the step in status and history (default: the name of its
	// experiment, or "parallel-N" for a group).
	Name string `json:"name,omitempty"`
	// Experiment is the path of an experiment file, relative to the
	// campaign file. It is read once, when the campaign starts, and the
	// experiment is embedded in the campaign's workflow input.
	Experiment string `json:"experiment,omitempty"`
	// Inline is an experiment written in the campaign itself (kind and
	// apiVersion may be left out).
	Inline *Experiment `json:"inline,omitempty"`
	// Parallel runs several experiments at the same time; the step ends
	// when all of them have.
	Parallel []StepExperiment `json:"parallel,omitempty"`
	// Approval makes the step wait for a person's approval before it runs.
	Approval *Approval `json:"approval,omitempty"`
	// Repeat runs the step more than once.
	Repeat *Repeat `json:"repeat,omitempty"`
	// Cooldown waits after the step (after every repetition of it) before
	// the next one starts (default 0s).
	Cooldown Duration `json:"cooldown,omitempty"`
	// StopOnFailure overrides the campaign's stopOnFailure for this step.
	StopOnFailure *bool `json:"stopOnFailure,omitempty"`
}

// StepExperiment is one experiment of a parallel group: a file or inline.
type StepExperiment struct {
	// Experiment is the path of an experiment file, relative to the
	// campaign file, read when the campaign starts.
	Experiment string `json:"experiment,omitempty"`
	// Inline is an experiment written in the campaign itself.
	Inline *Experiment `json:"inline,omitempty"`
}

// ApprovalTimeoutAction is what a step does when nobody answered its
// approval in time.
type ApprovalTimeoutAction string

// Approval timeout actions.
const (
	// ApprovalSkip skips the step; the campaign goes on.
	ApprovalSkip ApprovalTimeoutAction = "skip"
	// ApprovalStop stops the campaign, which ends Aborted.
	ApprovalStop ApprovalTimeoutAction = "stop"
)

// ApprovalTimeoutActions lists the accepted values of onTimeout.
var ApprovalTimeoutActions = []string{string(ApprovalSkip), string(ApprovalStop)}

// Approval is a gate before a step: the campaign waits until someone
// approves it (`tempest approve`, the terminal running `tempest run`, or an
// Update from Go) or skips it, or until the timeout.
type Approval struct {
	// Prompt is the question shown to the approver.
	Prompt string `json:"prompt,omitempty"`
	// Timeout is how long to wait for an answer (required, > 0).
	Timeout Duration `json:"timeout"`
	// OnTimeout is what happens when nobody answered: skip the step (the
	// default) or stop the campaign.
	OnTimeout ApprovalTimeoutAction `json:"onTimeout,omitempty"`
}

// Repeat runs a step several times: count times, or again and again until
// a span has passed since the step first started. Exactly one is set.
type Repeat struct {
	// Count is how many times the step runs (at least 1).
	Count int `json:"count,omitempty"`
	// Until keeps repeating the step until this long after its first run
	// started; a run is not started past it (e.g. "2h").
	Until Duration `json:"until,omitempty"`
}

// Experiments returns the step's experiments in order (one, or the group).
func (s *CampaignStep) Experiments() []StepExperiment {
	if len(s.Parallel) > 0 {
		return s.Parallel
	}
	return []StepExperiment{{Experiment: s.Experiment, Inline: s.Inline}}
}

// StopsOnFailure says whether a failed run of this step stops the campaign.
func (c *CampaignSpec) StopsOnFailure(step int) bool {
	if s := c.Steps[step].StopOnFailure; s != nil {
		return *s
	}
	return c.StopOnFailure
}

// Resolved says whether every experiment of the campaign is embedded
// (inline): what a CampaignWorkflow needs, as it never reads files.
func (c *Campaign) Resolved() bool {
	for i := range c.Spec.Steps {
		for _, e := range c.Spec.Steps[i].Experiments() {
			if e.Inline == nil {
				return false
			}
		}
	}
	return true
}

// ApplyCampaignDefaults fills every unset field that has a documented
// default, in the campaign and in its inline experiments. It is pure,
// deterministic and idempotent.
func ApplyCampaignDefaults(c *Campaign) {
	if c.APIVersion == "" {
		c.APIVersion = APIVersion
	}
	setIfZero(&c.Spec.MaxDuration, DefaultCampaignMaxDuration)
	for i := range c.Spec.Guards {
		g := &c.Spec.Guards[i]
		setIfZero(&g.Mode, ModeContinuous)
		g.StopOnFailure = true
		g.applyDefaults()
	}
	for i := range c.Spec.Steps {
		s := &c.Spec.Steps[i]
		if s.Approval != nil {
			setIfZero(&s.Approval.OnTimeout, ApprovalSkip)
		}
		if s.Inline != nil {
			defaultInline(s.Inline)
		}
		for k := range s.Parallel {
			if s.Parallel[k].Inline != nil {
				defaultInline(s.Parallel[k].Inline)
			}
		}
	}
}

func defaultInline(e *Experiment) {
	setIfZero(&e.Kind, KindExperiment)
	ApplyDefaults(e)
}
