// Package workflows holds Tempest's deterministic orchestration: the
// ExperimentWorkflow and its FaultWorkflow children. It does no I/O, reads no wall clock, starts no
// goroutines and ranges over no map; every side effect is an activity of
// package activities. workflowcheck runs over this package in CI.
//
// Phases: pre-flight (resolve and check targets; a dry run ends here), SOT
// probes (if steady state does not hold, nothing is injected), the chaos
// window (each injection: Inject, a durable timer, Revert; Continuous and
// OnChaos probes and load run alongside in one heartbeating activity each),
// rollback (every successful inject pushed its revert; whatever is still
// pending runs in reverse, always, under a disconnected context, one failure
// never stopping the others), EOT probes, verdict.
//
// A fault injected more than once (an interval shorter than its duration)
// plays its timeline in a FaultWorkflow child, which reverts each injection
// at the end of its hold and continues as new once its history is long
// (at 2,000 events, or half of safety.maxHistoryEvents): neither history
// grows with the experiment's duration. Stopping or closing the experiment
// cancels the child, which reverts what it has in place before the
// experiment's own rollback and EOT probes run. No injection starts once a
// history holds safety.maxHistoryEvents events: Temporal would end the
// workflow at 51,200 without a rollback.
//
// Interaction: Query "status" returns experiment.Status; Update "abort"
// (validated; answers with what will be reverted) and Signal "abort" stop
// the experiment, revert everything and end it Aborted. Cancelling the
// workflow does the same. A Passed (or dry) run completes with its
// experiment.Result; a Failed, Errored or Aborted one fails with a
// VerdictErrorType error whose details are the Result (ResultOf reads it),
// so the Temporal UI lists it as failed. The verdict is also the search
// attribute TempestVerdict.
//
// CampaignWorkflow (campaign_workflow.go) runs a campaign's experiments
// as child ExperimentWorkflows, in steps, with approval gates and guards;
// its history is bounded by continue-as-new.
package workflows
