package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
)

func newScheduleCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run an experiment or a campaign on a schedule (Temporal Schedules): create, list, describe, pause, trigger, backfill, update, delete",
		Long: `Run an experiment or a campaign on a schedule, with Temporal Schedules: in a time zone,
with jitter, freeze windows and an overlap policy; paused, triggered and
backfilled by hand. The spec is read, checked and stored in the schedule
when it is created: editing the file later changes nothing until
` + "`tempest schedule update NAME FILE`" + `; describe says which version of
the file (its SHA-256) the schedule holds. The runs it starts show in
` + "`tempest list`" + ` with their verdicts.`,
	}
	cmd.AddCommand(newScheduleCreateCommand(g), newScheduleListCommand(g), newScheduleDescribeCommand(g),
		newSchedulePauseCommand(g, true), newSchedulePauseCommand(g, false), newScheduleTriggerCommand(g),
		newScheduleBackfillCommand(g), newScheduleUpdateCommand(g), newScheduleDeleteCommand(g))
	return cmd
}

func newScheduleCreateCommand(g *globalFlags) *cobra.Command {
	f := &scheduleFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME FILE",
		Short: "Create a schedule that runs the experiment or campaign in FILE",
		Example: `  tempest schedule create nightly-kill examples/process-kill.yaml --cron "0 3 * * *" --timezone Europe/Paris --skip "dow=sat,sun"
  tempest schedule create smoke spec.yaml --every 15m --jitter 1m
  tempest schedule create weekly spec.yaml --calendar "dow=tue at=10:00" --timezone America/New_York \
      --skip 2026-12-21..2027-01-03 --overlap buffer-one --pause-on-failure`,
		Long: "Create a schedule that runs the experiment or campaign in FILE (a campaign's step files are\nread now and held with it).\n" + calendarHelp,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, file := args[0], args[1]
			spec, err := f.buildSpec(cmd, nil)
			if err != nil {
				return badInput(err)
			}
			overlap, err := starter.ParseOverlap(f.overlap)
			if err != nil {
				return badInput(err)
			}
			catchup, err := f.catchup()
			if err != nil {
				return badInput(err)
			}
			action, src, err := loadAction(file, f.set, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return withSchedule(cmd, g, name, func(ctx context.Context, c client.Client, _ *starter.Schedule) error {
				s, err := starter.CreateSchedule(ctx, c, action, starter.ScheduleOptions{
					ID: name, Spec: spec, Overlap: overlap, PauseOnFailure: f.pauseOnFailure, CatchupWindow: catchup,
					Note: f.note, Paused: f.paused, TaskQueue: g.taskQueue, Source: src,
				})
				if err != nil {
					return scheduleError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "schedule %s created: %s %s, %s\n", name, lower(action.Kind()), action.Name(), whenText(spec))
				if d, err := s.Describe(ctx); err == nil && len(d.NextActionTimes) > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "  next: %s\n", timeIn(d.NextActionTimes[0], zoneOf(d.Spec)))
				}
				return nil
			})
		},
	}
	addSpecFlags(cmd, f)
	cmd.Flags().StringVar(&f.note, "note", "", "a note on the schedule (shown by describe)")
	cmd.Flags().BoolVar(&f.paused, "paused", false, "create it paused")
	addSetFlag(cmd, &f.set)
	return cmd
}

// loadAction reads, checks and defaults the experiment or campaign in
// file (a campaign's step files are read now and embedded), and records
// which version of the file it is.
func loadAction(file string, set []string, warn io.Writer) (starter.Action, starter.Source, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return starter.Action{}, starter.Source{}, badInput(err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	src := starter.SourceOf(abs, data)
	if kind, err := experiment.DocumentKind(data); err == nil && kind == experiment.KindCampaign {
		if len(set) > 0 {
			return starter.Action{}, src, badInput(fmt.Errorf("--set: %s is a campaign, which takes no parameters", file))
		}
		camp, err := experiment.LoadCampaign(file)
		if err != nil {
			return starter.Action{}, src, badInput(prefixLines(file, err))
		}
		for i := range camp.Spec.Steps {
			for _, e := range camp.Spec.Steps[i].Experiments() {
				if e.Inline == nil {
					continue
				}
				if err := worker.CheckKinds(*e.Inline); err != nil {
					return starter.Action{}, src, badInput(prefixLines(fmt.Sprintf("%s: spec.steps[%d]", file, i), err))
				}
			}
		}
		action, err := starter.CampaignAction(*camp)
		if err != nil {
			return starter.Action{}, src, badInput(prefixLines(file, err))
		}
		return action, src, nil
	}
	exp, err := loadSpec(file, set, io.Discard, warn)
	if err != nil {
		return starter.Action{}, src, err
	}
	action, err := starter.ExperimentAction(exp)
	if err != nil {
		return starter.Action{}, src, badInput(prefixLines(file, err))
	}
	return action, src, nil
}

// withSchedule connects and runs do with the handle of schedule name.
func withSchedule(cmd *cobra.Command, g *globalFlags, name string, do func(context.Context, client.Client, *starter.Schedule) error) error {
	if name == "" {
		return badInput(errors.New("NAME: required"))
	}
	sess, err := connect(cmd.Context(), g, false)
	if err != nil {
		return err
	}
	defer sess.Close()
	return do(cmd.Context(), sess.client, starter.GetSchedule(cmd.Context(), sess.client, name))
}

// scheduleError is a failed schedule operation: exit code 2, with the
// error as package starter says it (a refused setting names its flag).
func scheduleError(err error) error {
	return &exitError{code: exitErrored, err: err}
}

func newScheduleListCommand(g *globalFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the schedules that run experiments and campaigns",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return badInput(fmt.Errorf("--output: want table or json, got %q", output))
			}
			sess, err := connect(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer sess.Close()
			list, err := starter.ListSchedules(cmd.Context(), sess.client)
			if err != nil {
				return scheduleError(err)
			}
			if output == "json" {
				return writeIndented(cmd.OutOrStdout(), list)
			}
			writeScheduleTable(cmd.OutOrStdout(), list)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func newScheduleDescribeCommand(g *globalFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a schedule: when it acts, its next and recent runs with their verdicts, skipped and missed counts, the file version it holds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return badInput(fmt.Errorf("--output: want text or json, got %q", output))
			}
			return withSchedule(cmd, g, args[0], func(ctx context.Context, _ client.Client, s *starter.Schedule) error {
				d, err := s.Describe(ctx)
				if err != nil {
					return scheduleError(err)
				}
				if output == "json" {
					return writeIndented(cmd.OutOrStdout(), d)
				}
				writeScheduleText(cmd.OutOrStdout(), d, fileState(d.Source))
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func newSchedulePauseCommand(g *globalFlags, pause bool) *cobra.Command {
	var note string
	use, short := "pause NAME", "Pause a schedule: no action until unpause (trigger and backfill still run)"
	if !pause {
		use, short = "unpause NAME", "Unpause a schedule"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSchedule(cmd, g, args[0], func(ctx context.Context, _ client.Client, s *starter.Schedule) error {
				verb, err := "paused", error(nil)
				if pause {
					err = s.Pause(ctx, note)
				} else {
					verb, err = "unpaused", s.Unpause(ctx, note)
				}
				if err != nil {
					return scheduleError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "schedule %s %s\n", s.ID, verb)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why (shown by describe)")
	return cmd
}

func newScheduleTriggerCommand(g *globalFlags) *cobra.Command {
	var overlap string
	cmd := &cobra.Command{
		Use:   "trigger NAME",
		Short: "Run the schedule's experiment or campaign now (under its overlap policy unless --overlap)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := optionalOverlap(overlap)
			if err != nil {
				return badInput(err)
			}
			return withSchedule(cmd, g, args[0], func(ctx context.Context, _ client.Client, s *starter.Schedule) error {
				if err := s.Trigger(ctx, o); err != nil {
					return scheduleError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "schedule %s triggered: follow it with `tempest schedule describe %s` or `tempest list`\n", s.ID, s.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&overlap, "overlap", "", "overlap policy of this action (default: the schedule's)")
	return cmd
}

func optionalOverlap(s string) (starter.Overlap, error) {
	if s == "" {
		return "", nil
	}
	return starter.ParseOverlap(s)
}

func newScheduleBackfillCommand(g *globalFlags) *cobra.Command {
	var overlap string
	cmd := &cobra.Command{
		Use:   "backfill NAME FROM TO",
		Short: "Take now the actions the schedule would have taken from FROM to TO",
		Long: `Take now the actions the schedule would have taken from FROM to TO (each
RFC 3339, YYYY-MM-DD[ HH:MM] in the schedule's time zone, or now-D). They
are due all at once, so the default overlap policy is buffer-all: one run
after another; skip would run only the first.`,
		Example: `  tempest schedule backfill nightly 2026-12-01 2026-12-08
  tempest schedule backfill smoke now-1h now --overlap allow-all`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := optionalOverlap(overlap)
			if err != nil {
				return badInput(err)
			}
			return withSchedule(cmd, g, args[0], func(ctx context.Context, _ client.Client, s *starter.Schedule) error {
				d, err := s.Describe(ctx)
				if err != nil {
					return scheduleError(err)
				}
				loc, now := zoneOf(d.Spec), time.Now()
				from, err := parseWhen(args[1], loc, now)
				if err != nil {
					return badInput(fmt.Errorf("FROM %q: %w", args[1], err))
				}
				to, err := parseWhen(args[2], loc, now)
				if err != nil {
					return badInput(fmt.Errorf("TO %q: %w", args[2], err))
				}
				if err := s.Backfill(ctx, from, to, o); err != nil {
					return scheduleError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "schedule %s: backfilling %s to %s\n", s.ID, timeIn(from, loc), timeIn(to, loc))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&overlap, "overlap", "", "overlap policy of the backfilled actions (default buffer-all)")
	return cmd
}

func newScheduleUpdateCommand(g *globalFlags) *cobra.Command {
	f := &scheduleFlags{}
	cmd := &cobra.Command{
		Use:   "update NAME [FILE]",
		Short: "Change a schedule: the spec it runs (FILE, read and checked now) and the settings given",
		Long: `Change a schedule. FILE, when given, is read and checked now and replaces the
spec the schedule runs. Only the flags given change: --cron, --every and
--calendar together replace when it acts; --skip replaces the freeze windows
(--skip none removes them); --start-at/--end-at none remove the bound.
` + calendarHelp,
		Example: `  tempest schedule update nightly-kill examples/process-kill.yaml
  tempest schedule update nightly-kill --cron "0 4 * * *" --skip 2026-12-21..2027-01-03`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var action *starter.Action
			var src starter.Source
			if len(args) == 2 {
				a, s, err := loadAction(args[1], f.set, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				action, src = &a, s
			}
			catchup, err := f.catchup()
			if err != nil {
				return badInput(err)
			}
			var overlap starter.Overlap
			if cmd.Flags().Changed("overlap") {
				o, err := starter.ParseOverlap(f.overlap)
				if err != nil {
					return badInput(err)
				}
				overlap = o
			}
			// The flags are checked once before connecting (an error
			// changes nothing), then applied to the schedule as it is.
			if _, err := f.buildSpec(cmd, &client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}}); err != nil {
				return badInput(err)
			}
			return withSchedule(cmd, g, args[0], func(ctx context.Context, _ client.Client, s *starter.Schedule) error {
				err := s.Update(ctx, func(e *starter.ScheduleEdit) error {
					spec, err := f.buildSpec(cmd, &e.Spec)
					if err != nil {
						return err
					}
					e.Spec = spec
					if overlap != "" {
						e.Overlap = overlap
					}
					if cmd.Flags().Changed("catchup-window") {
						e.CatchupWindow = catchup
					}
					if cmd.Flags().Changed("pause-on-failure") {
						e.PauseOnFailure = f.pauseOnFailure
					}
					if action != nil {
						e.SetAction(*action, src)
					}
					return nil
				})
				if err != nil {
					return scheduleError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "schedule %s updated\n", s.ID)
				return nil
			})
		},
	}
	addSpecFlags(cmd, f)
	addSetFlag(cmd, &f.set)
	return cmd
}

func newScheduleDeleteCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a schedule (the runs it started go on)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSchedule(cmd, g, args[0], func(ctx context.Context, _ client.Client, s *starter.Schedule) error {
				if err := s.Delete(ctx); err != nil {
					return scheduleError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "schedule %s deleted\n", s.ID)
				return nil
			})
		},
	}
}
