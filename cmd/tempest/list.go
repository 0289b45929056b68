package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

type listFlags struct {
	opts   starter.ListOptions
	since  string
	output string
}

func newListCommand(g *globalFlags) *cobra.Command {
	f := &listFlags{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List experiment and campaign runs from Temporal's visibility store, newest first",
		Long: `List experiment and campaign runs from Temporal's visibility store, newest
first: run by tempest run, by a schedule (SCHEDULE names it), by a campaign
or from Go. A campaign's own run is named campaign/NAME. The filters are
search attributes Tempest sets on every run (TempestExperiment,
TempestVerdict, TempestCampaign) and Temporal's own (ExecutionStatus,
StartTime). SCORE is read from each closed run's result (--no-score skips
those reads).`,
		Example: `  tempest list
  tempest list --experiment process-kill --since 7d
  tempest list --verdict failed --status failed --limit 20
  tempest list --campaign game-day -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "table" && f.output != "json" {
				return badInput(fmt.Errorf("--output: want table or json, got %q", f.output))
			}
			if f.since != "" {
				d, err := starter.ParseDuration(f.since)
				if err != nil || d <= 0 {
					return badInput(fmt.Errorf("--since %q: want a duration such as 30m, 12h or 7d", f.since))
				}
				f.opts.StartedAfter = time.Now().Add(-d)
			}
			if f.opts.Limit < 1 {
				return badInput(fmt.Errorf("--limit %d: want at least 1", f.opts.Limit))
			}
			if _, err := starter.ListQuery(f.opts); err != nil {
				return badInput(listFlagError(err))
			}
			sess, err := connect(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer sess.Close()
			runs, err := starter.List(cmd.Context(), sess.client, f.opts)
			if err != nil {
				return &exitError{code: exitErrored, err: err}
			}
			if f.output == "json" {
				if runs == nil {
					runs = []starter.ListedRun{}
				}
				return writeIndented(cmd.OutOrStdout(), runs)
			}
			writeRunTable(cmd.OutOrStdout(), runs, time.Now())
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.opts.Experiment, "experiment", "", "only runs of the experiment of this metadata.name")
	fs.StringVar(&f.opts.Campaign, "campaign", "", "only runs of the campaign of this name (the campaign and its experiments)")
	fs.StringVar(&f.opts.Verdict, "verdict", "", "only runs with this verdict: passed, failed, errored, aborted or dryrun")
	fs.StringVar(&f.opts.Status, "status", "", "only runs in this Temporal status: running, completed, failed, canceled, terminated, timed-out or continued-as-new")
	fs.StringVar(&f.since, "since", "", "only runs started within this long, such as 30m, 12h or 7d")
	fs.IntVar(&f.opts.Limit, "limit", starter.DefaultListLimit, "at most this many runs, newest first")
	fs.BoolVar(&f.opts.NoScore, "no-score", false, "do not read each closed run's result for SCORE")
	fs.StringVarP(&f.output, "output", "o", "table", "table or json")
	return cmd
}

// badInput is err as invalid input: exit code 2, nothing done.
func badInput(err error) error { return &exitError{code: exitErrored, err: err} }

// listFlagError names the flag of a ListOptions field.
func listFlagError(err error) error {
	var fe *starter.ListFilterError
	if errors.As(err, &fe) {
		flag := map[string]string{"Verdict": "--verdict", "Status": "--status"}[fe.Field]
		return fmt.Errorf("%s %q: want %s", flag, fe.Value, fe.Want)
	}
	return err
}

// writeRunTable writes runs as a table like kubectl get.
func writeRunTable(w io.Writer, runs []starter.ListedRun, now time.Time) {
	if len(runs) == 0 {
		fmt.Fprintln(w, "No runs found.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tWORKFLOW ID\tSTATUS\tVERDICT\tSCORE\tSTARTED\tDURATION\tSCHEDULE")
	for _, r := range runs {
		score := "-"
		if r.Score != nil {
			score = pct(*r.Score)
		}
		name := dash(r.Name)
		if r.Kind == experiment.KindCampaign {
			name = "campaign/" + r.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			name, r.WorkflowID, r.Status, dash(r.Verdict), score,
			r.StartTime.Local().Format(time.DateTime), shortDuration(r.Duration(now)), dash(r.Schedule))
	}
	_ = tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortDuration rounds d to what a table needs: tenths of a second below
// a minute, seconds below an hour, minutes above.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	default:
		return d.Round(time.Minute).String()
	}
}
