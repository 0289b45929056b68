package workflows

import "go.temporal.io/sdk/workflow"

// Versioning. A running experiment replays the code that started it, so
// every change to what the workflows do (their commands, their order, the
// values they compute from the spec) is gated on one change ID whose
// version is recorded in the history of every run that reaches it:
//
//	v := workflow.GetVersion(ctx, versionChangeID, workflow.DefaultVersion, currentVersion)
//
// A run started before the gate existed replays as workflow.DefaultVersion
// (the code of e404a7d and before); one started later records the current
// version and keeps it for its whole life, across deploys. A deploy that
// changes behaviour again adds a constant, raises currentVersion and
// branches on r.version >= theNewConstant; the replay corpus in testdata
// proves the older branches still replay. A branch is removed only once no
// run that recorded it can still be open (the longest safety.maxDuration,
// plus the one-hour start-to-close margin the starter adds, after the
// deploy that stopped recording it).
const versionChangeID = "tempest"

// The versions, oldest first.
const (
	// versionNormalized: defaults, validation and the plan are computed
	// once, in a SideEffect, so an edit of package experiment never
	// changes a running workflow; holds count from the moment an inject
	// took effect; a partial inject is reverted; a failed revert stops its
	// fault's timeline; an abort interrupts pre-flight, SOT and EOT.
	versionNormalized = 1

	// versionVerdictFailure: a Failed, Errored or Aborted verdict ends the
	// workflow as a failure (VerdictErrorType, the Result in its
	// details), so the Temporal UI's list shows it failed.
	versionVerdictFailure = 2

	// versionLongQueue: the activities that run for the whole chaos
	// window (probe watchers, load) go to LongTaskQueue of the queue they
	// ran on before, so they never hold the slots of the short ones
	// (selection, inject, revert, checks) on a worker: see worker.Limits.
	versionLongQueue = 3

	currentVersion = versionLongQueue
)

// runVersion records (or replays) the version this run follows.
func runVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, versionChangeID, workflow.DefaultVersion, currentVersion)
}

// CurrentVersion is the workflow version new runs record (see above);
// `tempest version` prints it, so an operator can tell which builds
// a running experiment can be replayed by.
const CurrentVersion = int(currentVersion)

// Campaign versioning. CampaignWorkflow follows the same rules on its own
// change ID, so that a change of the campaign never raises the version
// every experiment run records (nor the reverse):
//
//	v := workflow.GetVersion(ctx, campaignChangeID, workflow.DefaultVersion, currentCampaignVersion)
//
// is called once at the start of every history segment, before the
// segment's first command. A campaign segment started before the gate
// existed replays as workflow.DefaultVersion (the CampaignWorkflow of
// 3fc9c2f, the histories testdata/campaign/c1-*). A segment that continues
// as new is a new run: it records the version of the code that starts it,
// so a long campaign started before a deploy follows the new code from its
// next segment on; within one segment the version never changes.
const campaignChangeID = "tempest-campaign"

// The campaign versions, oldest first.
const (
	// campaignVersionLongGuards: each guard's WatchProbe activity, which
	// runs for the whole campaign, goes to LongTaskQueue of the queue it
	// ran on before (the guard's host's or cluster's, else the
	// campaign's own), like an experiment's watchers from versionLongQueue
	// on.
	campaignVersionLongGuards = 1

	currentCampaignVersion = campaignVersionLongGuards
)

// campaignVersion records (or replays) the version this campaign segment
// follows.
func campaignVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, campaignChangeID, workflow.DefaultVersion, currentCampaignVersion)
}

// CurrentCampaignVersion is the version new campaign segments record
// under the change ID CampaignChangeID; `tempest version` prints it.
const CurrentCampaignVersion = int(currentCampaignVersion)

// CampaignChangeID is the change ID of CampaignWorkflow's versions.
const CampaignChangeID = campaignChangeID
