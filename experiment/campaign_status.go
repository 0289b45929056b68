package experiment

import "time"

// StepState is where a campaign step is.
type StepState string

// Step states.
const (
	StepPending  StepState = "Pending"
	StepWaiting  StepState = "WaitingApproval"
	StepRunning  StepState = "Running"
	StepCooldown StepState = "Cooldown"
	StepDone     StepState = "Done"
	StepSkipped  StepState = "Skipped"
)

// CampaignState is where a campaign is.
type CampaignState string

// Campaign states.
const (
	CampaignRunning CampaignState = "Running"
	CampaignPaused  CampaignState = "Paused"
	CampaignWaiting CampaignState = "WaitingApproval"
	CampaignDone    CampaignState = "Done"
)

// CampaignStatus is what a campaign's status query returns, and (final)
// what the campaign workflow returns.
type CampaignStatus struct {
	Campaign string        `json:"campaign"`
	State    CampaignState `json:"state"`
	// Verdict is set once the campaign is done: Passed when every step
	// that ran passed, Failed when one did not (or a guard breached),
	// Aborted when it was aborted, cancelled or ran out of time.
	Verdict Verdict `json:"verdict,omitempty"`
	// Reason says why a campaign did not pass, or why it is stopping.
	Reason string `json:"reason,omitempty"`
	// PauseRequested: the campaign pauses once the running step ends.
	PauseRequested bool      `json:"pauseRequested,omitempty"`
	StartedAt      time.Time `json:"startedAt"`
	EndedAt        time.Time `json:"endedAt,omitzero"`
	// Current is the index of the step running or next (len(Steps) at the end).
	Current int                  `json:"current"`
	Steps   []CampaignStepStatus `json:"steps"`
	// Pending is the approval the campaign waits for, if any.
	Pending *PendingApproval `json:"pending,omitempty"`
	Notes   []CampaignNote   `json:"notes,omitempty"`
	// Guards are the guards' aggregates so far (from the last completed
	// history segment; the running one shows in Describe's heartbeats).
	Guards []ProbeResult `json:"guards,omitempty"`
	// Segment counts the campaign's history segments (continue-as-new).
	Segment int `json:"segment"`
}

// CampaignStepStatus is one step.
type CampaignStepStatus struct {
	Name  string    `json:"name"`
	State StepState `json:"state"`
	// Verdict is the worst verdict of the step's runs (empty before any).
	Verdict Verdict `json:"verdict,omitempty"`
	// ResilienceScore is the mean score of its runs.
	ResilienceScore float64 `json:"resilienceScore"`
	// Reason says why it was skipped, or why it did not pass.
	Reason string        `json:"reason,omitempty"`
	Runs   []CampaignRun `json:"runs,omitempty"`
}

// CampaignRun is one experiment run by a step: a child ExperimentWorkflow.
type CampaignRun struct {
	WorkflowID      string    `json:"workflowId"`
	Experiment      string    `json:"experiment"`
	Iteration       int       `json:"iteration"`
	Verdict         Verdict   `json:"verdict,omitempty"`
	ResilienceScore float64   `json:"resilienceScore"`
	Reason          string    `json:"reason,omitempty"`
	StartedAt       time.Time `json:"startedAt"`
	EndedAt         time.Time `json:"endedAt,omitzero"`
}

// PendingApproval is a step waiting for a person.
type PendingApproval struct {
	Step     int       `json:"step"`
	Name     string    `json:"name"`
	Prompt   string    `json:"prompt,omitempty"`
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"`
	// OnTimeout is what happens at the deadline.
	OnTimeout ApprovalTimeoutAction `json:"onTimeout"`
}

// CampaignNote is an observation recorded by a person during a campaign.
type CampaignNote struct {
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"`
	Text string    `json:"text"`
	// Step is the step running or next when it was written.
	Step int `json:"step"`
}
