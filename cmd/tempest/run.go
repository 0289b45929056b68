package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

type runFlags struct {
	detach bool
	output string
	exit   bool
	dryRun bool
	// abortWait bounds the wait for a worker to answer Ctrl-C's abort.
	abortWait time.Duration
	// uiURL is the Temporal UI's base URL for the link (--ui-url).
	uiURL string
	// set are the spec's parameters (--set KEY=VALUE).
	set []string
	// report is where --report writes the run's report ("": nowhere).
	report string
	// interactive: a campaign's approvals are asked on stdin even when it
	// is not a terminal (--interactive).
	interactive bool
}

func newRunCommand(g *globalFlags) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run an experiment or a campaign and wait for its verdict (Ctrl-C aborts it and reverts every fault)",
		Example: `  tempest run examples/process-kill.yaml                 # a local tempest dev, or an embedded server, UI and worker
  tempest run --set PORT=18081 spec.yaml                  # the spec's ${PORT} (else $PORT, else its default)
  tempest run --dry-run spec.yaml                         # list the targets; touch nothing
  tempest run --output json --exit spec.yaml > report.json
  tempest run --address temporal.example:7233 --detach spec.yaml   # a cluster running tempest worker`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "text" && f.output != "json" {
				return &exitError{code: exitErrored, err: fmt.Errorf("--output: want text or json, got %q", f.output)}
			}
			notes := cmd.OutOrStdout()
			if f.output == "json" {
				notes = cmd.ErrOrStderr()
			}
			if isCampaignFile(args[0]) {
				return runCampaign(cmd.Context(), g, f, args[0], cmd.InOrStdin(), notes, cmd.ErrOrStderr())
			}
			exp, err := loadSpec(args[0], f.set, notes, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if f.dryRun {
				exp.Spec.Safety.DryRun = true
			}
			return runExperiment(cmd.Context(), g, f, exp, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&f.detach, "detach", false, "start the experiment and return at once")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "text or json")
	cmd.Flags().BoolVar(&f.exit, "exit", false, "with the embedded server, exit at once instead of keeping the UI up until Ctrl-C")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "resolve and list the targets; touch nothing")
	cmd.Flags().DurationVar(&f.abortWait, "abort-timeout", defaultAbortWait, "on Ctrl-C, how long to wait for a worker to answer the abort before sending it as a signal")
	addUIURLFlag(cmd, &f.uiURL)
	addSetFlag(cmd, &f.set)
	addReportFlag(cmd, &f.report)
	cmd.Flags().BoolVar(&f.interactive, "interactive", false, "a campaign's approval prompts read y/n from stdin even when it is not a terminal")
	return cmd
}

func runExperiment(ctx context.Context, g *globalFlags, f *runFlags, exp experiment.Experiment, stdout, stderr io.Writer) error {
	// sigs counts the interrupts of the wait (abort, then detach); ctx ends
	// at the first one.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	sess, err := connect(context.WithoutCancel(ctx), g, true)
	if err != nil {
		return err
	}
	defer sess.Close()

	started := time.Now()
	run, err := starter.Start(ctx, sess.client, exp, starter.Options{TaskQueue: g.taskQueue})
	if err != nil {
		return &exitError{code: exitErrored, err: err}
	}
	setUIBase(sess, f.uiURL)
	link := sess.uiLink(g.namespace, run.ID, run.RunID)
	progress := stdout
	if f.output == "json" {
		progress = stderr
	}
	fmt.Fprintf(progress, "experiment %s started: workflow %s\n", exp.Metadata.Name, run.ID)
	if link != "" {
		fmt.Fprintf(progress, "  UI: %s\n", link)
	}
	if f.detach {
		return nil
	}

	res, err := waitWithProgress(ctx, run, &exp, started, newProgressPrinter(progress), sigs, f.abortWait)
	if errors.Is(err, errDetached) {
		msg := fmt.Sprintf("detached: experiment %s goes on without this command; follow it with `tempest status %s`, abort it with `tempest abort %s --reason TEXT`", run.ID, run.ID, run.ID)
		if sess.embedded {
			msg += fmt.Sprintf(" (it ran on this command's embedded server, which stops now: it resumes when `tempest dev --state-dir %s` runs)", g.stateDir)
		}
		return &exitError{code: exitErrored, err: errors.New(msg)}
	}
	if err != nil {
		return &exitError{code: exitErrored, err: err}
	}
	events, err := run.HistoryEvents(context.WithoutCancel(ctx))
	if err != nil {
		fmt.Fprintln(stderr, "tempest:", err)
	}
	report := reportOf(run.ID, run.RunID, res, &exp, events, time.Since(started), link)
	if f.output == "json" {
		err = report.writeJSON(stdout)
	} else {
		report.writeText(stdout)
	}
	if err != nil {
		return err
	}
	if f.report != "" {
		writeRunReport(context.WithoutCancel(ctx), sess.client, run.ID, run.RunID, link, f.report, progress, stderr)
	}
	if sess.embedded && !f.exit && isTerminal(os.Stdin) && link != "" {
		fmt.Fprintf(progress, "The Temporal UI stays up at %s until Ctrl-C.\n", sess.uiBase)
		<-ctx.Done()
	}
	return verdictExit(res.Verdict)
}

func verdictExit(v experiment.Verdict) error {
	switch v {
	case experiment.VerdictPassed, experiment.VerdictDryRun:
		return nil
	case experiment.VerdictFailed:
		return &exitError{code: exitFailed}
	default:
		return &exitError{code: exitErrored}
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
