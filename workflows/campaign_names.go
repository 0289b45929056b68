package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
)

// Names of the CampaignWorkflow and its handlers, shared by the starter,
// the CLI and schedules.
const (
	// CampaignWorkflowName is the registered workflow type.
	CampaignWorkflowName = "CampaignWorkflow"
	// QueryCampaignStatus (the same name as the experiment's) returns
	// experiment.CampaignStatus.
	QueryCampaignStatus = QueryStatus
	// The Updates of a campaign; each takes a CampaignAction and answers
	// with a CampaignAnswer. Their validators reject what does not apply
	// (approving a step that is not waiting, resuming a campaign that is
	// not paused) with the reason.
	UpdateApprove = "approve"
	UpdateSkip    = "skip"
	UpdatePause   = "pause"
	UpdateResume  = "resume"
	UpdateNote    = "note"
	// UpdateCampaignAbort takes a reason (a string, like the experiment's
	// abort); it and the Signal of the same name, which needs no worker to
	// be accepted, abort the running experiments, which revert,
	// and ends the campaign Aborted.
	UpdateCampaignAbort = UpdateAbort
	SignalCampaignAbort = SignalAbort
	// CampaignVerdictErrorType is the ApplicationError type of a campaign
	// that did not pass; its details are the final experiment.CampaignStatus
	// (CampaignResultOf reads it).
	CampaignVerdictErrorType = "TempestCampaignVerdict"
)

// AttrCampaign is the campaign's name, on the campaign and on every
// experiment it runs, so a campaign's runs are found together.
var AttrCampaign = temporal.NewSearchAttributeKeyKeyword("TempestCampaign")

// CampaignInput is the CampaignWorkflow's input: the campaign with every
// experiment embedded (experiment.LoadCampaign resolves the files), and
// what an earlier history segment carried over (nil on the first).
type CampaignInput struct {
	Campaign experiment.Campaign `json:"campaign"`
	Carry    *CampaignCarry      `json:"carry,omitempty"`
}

// CampaignCarry is the state one history segment hands to the next.
type CampaignCarry struct {
	Status experiment.CampaignStatus `json:"status"`
	// Iteration counts the runs of the current step already done.
	Iteration int `json:"iteration"`
	// StepStarted is when the current step's first run started.
	StepStarted time.Time `json:"stepStarted,omitzero"`
	// Approved: the current step's approval was given.
	Approved bool      `json:"approved,omitempty"`
	Deadline time.Time `json:"deadline"`
	// Stop is why the campaign is stopping, if it is.
	Stop        string             `json:"stop,omitempty"`
	StopVerdict experiment.Verdict `json:"stopVerdict,omitempty"`
}

// CampaignAction is the argument of every campaign Update.
type CampaignAction struct {
	// Step is the step acted on, counted from 1; 0 means the current one.
	Step int `json:"step,omitempty"`
	// Text is the note, or the reason of a skip, pause or abort.
	Text string `json:"text,omitempty"`
	// By names who acted (the CLI sends user@host).
	By string `json:"by,omitempty"`
}

// CampaignAnswer is what a campaign Update answers.
type CampaignAnswer struct {
	Message string `json:"message"`
}

// CampaignResultOf returns the final status carried by err when err is (or
// wraps) the failure of a campaign that did not pass.
func CampaignResultOf(err error) (experiment.CampaignStatus, bool) {
	var st experiment.CampaignStatus
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != CampaignVerdictErrorType || !app.HasDetails() {
		return st, false
	}
	if derr := app.Details(&st); derr != nil {
		return st, false
	}
	return st, true
}
