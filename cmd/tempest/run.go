package main

import (
	"context"
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
}

func newRunCommand(g *globalFlags) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run an experiment and wait for its verdict (Ctrl-C aborts it and reverts every fault)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "text" && f.output != "json" {
				return &exitError{code: exitErrored, err: fmt.Errorf("--output: want text or json, got %q", f.output)}
			}
			exp, err := loadSpec(args[0])
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
	return cmd
}

func runExperiment(ctx context.Context, g *globalFlags, f *runFlags, exp experiment.Experiment, stdout, stderr io.Writer) error {
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

	res, err := waitWithProgress(ctx, run, progress)
	if err != nil {
		return &exitError{code: exitErrored, err: err}
	}
	events, err := run.HistoryEvents(context.WithoutCancel(ctx))
	if err != nil {
		fmt.Fprintln(stderr, "tempest:", err)
	}
	report := newReport(run, res, events, time.Since(started), link)
	if f.output == "json" {
		err = report.writeJSON(stdout)
	} else {
		report.writeText(stdout)
	}
	if err != nil {
		return err
	}
	if sess.embedded && !f.exit && isTerminal(os.Stdin) && link != "" {
		fmt.Fprintf(progress, "The Temporal UI stays up at %s until Ctrl-C.\n", sess.uiBase)
		<-ctx.Done()
	}
	return verdictExit(res.Verdict)
}

// waitWithProgress prints each phase change, the active faults and probe
// results as they happen, and returns the result. The first Ctrl-C aborts
// the experiment (everything is reverted); the wait goes on for its result.
func waitWithProgress(ctx context.Context, run *starter.Run, w io.Writer) (experiment.Result, error) {
	bg := context.WithoutCancel(ctx)
	type outcome struct {
		res experiment.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := run.Result(bg)
		done <- outcome{res, err}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	interrupted := ctx.Done()
	var last string
	for {
		select {
		case o := <-done:
			return o.res, o.err
		case <-interrupted:
			interrupted = nil
			fmt.Fprintln(w, "interrupted: aborting the experiment and reverting every fault...")
			if ans, err := run.Abort(bg, "interrupted from the tempest CLI"); err != nil {
				fmt.Fprintln(w, "abort:", err)
			} else {
				fmt.Fprintf(w, "will revert: %v\n", ans.WillRevert)
			}
		case <-tick.C:
			st, err := run.Status(bg)
			if err != nil {
				continue
			}
			if line := progressLine(st); line != last {
				fmt.Fprintln(w, line)
				last = line
			}
		}
	}
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
