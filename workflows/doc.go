// Package workflows holds Tempest's deterministic orchestration: the
// ExperimentWorkflow. It does no I/O, reads no wall clock, starts no
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
// Interaction: Query "status" returns experiment.Status; Update "abort"
// (validated; answers with what will be reverted) and Signal "abort" stop
// the experiment, revert everything and end it Aborted. Cancelling the
// workflow does the same. The workflow always completes with an
// experiment.Result; the verdict is also the search attribute TempestVerdict.
package workflows
