// Package starter is the Go API for running Tempest experiments on a
// Temporal cluster: Start validates a spec (nothing is started when it is
// invalid) and starts its ExperimentWorkflow; the returned Run reads its
// status, aborts it and waits for its Result.
//
//	run, err := starter.Start(ctx, c, exp, starter.Options{})
//	res, err := run.Result(ctx)
//
// List finds runs (experiments and campaigns) in the visibility store by
// experiment, campaign, verdict, status and start time. CreateSchedule
// runs an Action (ExperimentAction, CampaignAction: the spec validated
// and held by the schedule) on a Temporal Schedule; its settings are
// checked before the server sees them (*ScheduleSpecError names the CLI
// flag) and nothing is created when one is refused. The Schedule handle
// describes, pauses, triggers, backfills, updates and deletes it; see
// examples/schedules.
//
// StartCampaign starts a campaign (experiment.LoadCampaign reads one with
// its experiment files); the Campaign handle approves, skips, pauses,
// resumes, notes, aborts and reads its status and final result. See
// examples/campaigns/go.
//
// Build c with package temporalconn (s.Dial) to connect like the CLI and
// the workers: TLS, API key, and the payload codec, without which a run
// written encrypted cannot be read (its errors name the key ID needed).
package starter
