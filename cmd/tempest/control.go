package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/starter"
)

func newStatusCommand(g *globalFlags) *cobra.Command {
	var runID, output, uiURL string
	cmd := &cobra.Command{
		Use:   "status WORKFLOW-ID",
		Short: "Show an experiment's phase, faults, probes and load, or its verdict once it has ended",
		Long: `Show an experiment's phase, faults, probes and load while it runs, or its verdict
and reasons once it has ended (read from the server: no worker is needed).

While it runs, elapsed time is shown against the planned length: "~" is the length
when every probe before and after the chaos window passes at its first check (their
initial delays plus the chaos window); "at most" is with every probe retry and timeout.
Reverts are not counted in either. With -o json, durations are in seconds.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			sess, err := connect(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer sess.Close()
			setUIBase(sess, uiURL)
			if ok, err := campaignStatus(cmd.Context(), sess, args[0], output, cmd.OutOrStdout()); ok {
				return err
			}
			in, err := readStatus(cmd.Context(), sess.client, args[0], runID)
			if err != nil {
				return &exitError{code: exitErrored, err: err}
			}
			in.link = sess.uiLink(g.namespace, in.desc.WorkflowID, in.desc.RunID)
			v := newStatusView(in, time.Now())
			if output == "json" {
				return v.writeJSON(cmd.OutOrStdout())
			}
			v.writeText(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run-id", "", "run ID (default: the latest run)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	addUIURLFlag(cmd, &uiURL)
	return cmd
}

func newAbortCommand(g *globalFlags) *cobra.Command {
	var reason, runID string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "abort WORKFLOW-ID --reason TEXT",
		Short: "Stop an experiment now and revert every fault it injected",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return &exitError{code: exitErrored, err: fmt.Errorf("--reason is required")}
			}
			sess, err := connect(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer sess.Close()
			ans, err := starter.Attach(sess.client, args[0], runID).AbortWithin(cmd.Context(), reason, wait)
			var noAnswer *starter.NoAnswerError
			if errors.As(err, &noAnswer) {
				return &exitError{code: exitErrored, err: fmt.Errorf("%s: %w; follow it with `tempest status %s`", args[0], err, args[0])}
			}
			if err != nil {
				return &exitError{code: exitErrored, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "aborting %s; will revert: %s\n", args[0], strings.Join(ans.WillRevert, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the experiment's history)")
	cmd.Flags().StringVar(&runID, "run-id", "", "run ID (default: the latest run)")
	cmd.Flags().DurationVar(&wait, "timeout", defaultAbortWait, "how long to wait for a worker to answer; then the abort is sent as a signal and the command fails")
	return cmd
}

// defaultAbortWait bounds the wait for a worker to answer the abort Update
// (it answers in milliseconds when one runs the experiment).
const defaultAbortWait = 10 * time.Second

// prefixLines prefixes every line of err with name, unless it already is.
func prefixLines(name string, err error) error {
	lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, name+":") {
			lines[i] = name + ": " + l
		}
	}
	return fmt.Errorf("%s", strings.Join(lines, "\n"))
}
