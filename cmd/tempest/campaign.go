package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/workflows"
)

// isCampaignFile says whether the document at path is a campaign (kind:
// Campaign), which `tempest run` runs as one.
func isCampaignFile(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	kind, err := experiment.DocumentKind(data)
	return err == nil && kind == experiment.KindCampaign
}

// loadCampaign reads a campaign and the experiments of its steps; every
// problem is one line naming the file, the field path and the line.
func loadCampaign(path string) (experiment.Campaign, error) {
	camp, err := experiment.LoadCampaign(path)
	if err != nil {
		return experiment.Campaign{}, &exitError{code: exitErrored, err: prefixLines(path, err)}
	}
	for i := range camp.Spec.Steps {
		for k, e := range camp.Spec.Steps[i].Experiments() {
			if err := worker.CheckKinds(*e.Inline); err != nil {
				return experiment.Campaign{}, &exitError{code: exitErrored, err: fmt.Errorf("%s: spec.steps[%d] (experiment %d): %w", path, i, k+1, err)}
			}
		}
	}
	return *camp, nil
}

// runCampaign starts a campaign and follows it: a line per step change, an
// approval prompt answered here (y/n, when stdin is a terminal or
// --interactive) or anywhere else, whichever comes first; Ctrl-C aborts it.
func runCampaign(ctx context.Context, g *globalFlags, f *runFlags, path string, stdin io.Reader, stdout, stderr io.Writer) error {
	camp, err := loadCampaign(path)
	if err != nil {
		return err
	}
	if f.dryRun {
		// Every experiment resolves its targets and touches nothing.
		for i := range camp.Spec.Steps {
			for _, e := range camp.Spec.Steps[i].Experiments() {
				e.Inline.Spec.Safety.DryRun = true
			}
		}
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	sess, err := connect(ctx, g, true)
	if err != nil {
		return err
	}
	defer sess.Close()
	k, err := starter.StartCampaign(ctx, sess.client, camp, starter.Options{TaskQueue: g.taskQueue})
	if err != nil {
		return &exitError{code: exitErrored, err: err}
	}
	setUIBase(sess, f.uiURL)
	fmt.Fprintf(stdout, "campaign %s started: workflow %s (%d steps)\n", camp.Metadata.Name, k.ID, len(camp.Spec.Steps))
	if link := sess.uiLink(g.namespace, k.ID, k.RunID); link != "" {
		fmt.Fprintf(stdout, "  UI: %s\n", link)
	}
	if f.detach {
		return nil
	}
	var answers <-chan string
	if f.interactive || (stdin == os.Stdin && isTerminal(os.Stdin)) {
		answers = readLines(stdin)
	}
	st, err := followCampaign(context.WithoutCancel(ctx), k, answers, sigs, f.abortWait, stdout)
	if err != nil {
		return &exitError{code: exitErrored, err: err}
	}
	if f.output == "json" {
		if err := writeJSON(stdout, st); err != nil {
			return err
		}
	} else {
		writeCampaignStatus(stdout, k.ID, st)
	}
	return verdictExit(st.Verdict)
}

// readLines delivers stdin's lines; the channel closes at EOF.
func readLines(r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		s := bufio.NewScanner(r)
		for s.Scan() {
			ch <- strings.TrimSpace(s.Text())
		}
	}()
	return ch
}

// followCampaign polls the campaign's status until it ends, printing what
// changes, and answers its approvals from answers.
func followCampaign(ctx context.Context, k *starter.Campaign, answers <-chan string, sigs <-chan os.Signal, abortWait time.Duration, out io.Writer) (experiment.CampaignStatus, error) {
	type outcome struct {
		st  experiment.CampaignStatus
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		st, err := k.Result(ctx)
		done <- outcome{st, err}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	seen := map[string]bool{}
	var asked *experiment.PendingApproval
	by := whoAmI()
	interrupted := false
	prompting := answers != nil
	// early is a line typed before any prompt: the answer to the next one.
	early := ""
	extra := make(chan string, 1)
	answer := func(line string) {
		if asked == nil {
			early = line
			return
		}
		var msg string
		var err error
		switch strings.ToLower(line) {
		case "y", "yes":
			msg, err = k.Approve(ctx, asked.Step+1, by)
		case "n", "no":
			msg, err = k.Skip(ctx, asked.Step+1, "declined in the terminal", by)
		default:
			fmt.Fprint(out, "answer y (run it) or n (skip it): ")
			return
		}
		if err != nil {
			fmt.Fprintln(out, "  ", err)
		} else {
			fmt.Fprintln(out, "  ", msg)
		}
		asked = nil
	}
	for {
		select {
		case o := <-done:
			return o.st, o.err
		case <-sigs:
			if interrupted {
				return experiment.CampaignStatus{}, fmt.Errorf("detached: campaign %s goes on; follow it with `tempest status %s`", k.ID, k.ID)
			}
			interrupted = true
			fmt.Fprintln(out, "interrupted: aborting the campaign; its running experiments revert (Ctrl-C again to detach)...")
			go func() {
				if _, err := k.Abort(ctx, "interrupted from the tempest CLI", by, abortWait); err != nil {
					fmt.Fprintln(out, "abort:", err)
				}
			}()
		case line := <-extra:
			answer(line)
		case line, ok := <-answers:
			if !ok {
				answers = nil
				continue
			}
			answer(line)
		case <-tick.C:
			st, err := k.Status(ctx)
			if err != nil {
				continue // no worker yet, or between segments
			}
			for i, s := range st.Steps {
				for _, r := range s.Runs {
					key := r.WorkflowID + "/" + string(r.Verdict)
					if !seen[key] {
						seen[key] = true
						if r.Verdict == "" {
							fmt.Fprintf(out, "step %d/%d %s: %s started (%s)\n", i+1, len(st.Steps), s.Name, r.Experiment, r.WorkflowID)
						} else {
							fmt.Fprintf(out, "step %d/%d %s: %s %s, score %.0f%%\n", i+1, len(st.Steps), s.Name, r.Experiment, r.Verdict, r.ResilienceScore)
						}
					}
				}
				if key := fmt.Sprintf("%d/%s", i, s.State); s.State == experiment.StepSkipped && !seen[key] {
					seen[key] = true
					fmt.Fprintf(out, "step %d/%d %s: skipped (%s)\n", i+1, len(st.Steps), s.Name, s.Reason)
				}
			}
			if key := "paused/" + strconv.Itoa(st.Current); st.State == experiment.CampaignPaused && !seen[key] {
				seen[key] = true
				fmt.Fprintf(out, "paused before step %d: `tempest resume %s` to go on\n", st.Current+1, k.ID)
			}
			switch p := st.Pending; {
			case p != nil && (asked == nil || asked.Step != p.Step) && !seen[fmt.Sprintf("ask/%d/%s", p.Step, p.Since)]:
				seen[fmt.Sprintf("ask/%d/%s", p.Step, p.Since)] = true
				fmt.Fprintf(out, "step %d/%d %s waits for approval until %s (then %s): %s\n", p.Step+1, len(st.Steps), p.Name, p.Deadline.Local().Format(time.TimeOnly), p.OnTimeout, p.Prompt)
				fmt.Fprintf(out, "  elsewhere: tempest approve %s, or tempest skip %s\n", k.ID, k.ID)
				if prompting {
					fmt.Fprint(out, "  run it? [y/n] ")
					pp := *p
					asked = &pp
					if early != "" {
						extra <- early
						early = ""
					}
				}
			case p == nil && asked != nil:
				fmt.Fprintf(out, "\n  step %d was answered elsewhere\n", asked.Step+1)
				asked = nil
			}
		}
	}
}

// whoAmI is user@host, recorded with approvals and notes.
func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// writeCampaignStatus prints a campaign's steps as a table.
func writeCampaignStatus(w io.Writer, id string, st experiment.CampaignStatus) {
	fmt.Fprintf(w, "campaign %s (%s): %s", st.Campaign, id, st.State)
	if st.Verdict != "" {
		fmt.Fprintf(w, ", verdict %s", st.Verdict)
	}
	fmt.Fprintln(w)
	if st.Reason != "" {
		fmt.Fprintf(w, "  reason: %s\n", st.Reason)
	}
	if st.PauseRequested && st.State != experiment.CampaignDone {
		fmt.Fprintln(w, "  pausing after the running step (tempest resume to go on)")
	}
	if p := st.Pending; p != nil {
		fmt.Fprintf(w, "  waiting for approval: step %d %s until %s (then %s): %s\n", p.Step+1, p.Name, p.Deadline.Format(time.RFC3339), p.OnTimeout, p.Prompt)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tNAME\tSTATE\tVERDICT\tSCORE\tRUNS\tREASON")
	for i, s := range st.Steps {
		score := "-"
		if len(s.Runs) > 0 && s.Verdict != "" {
			score = fmt.Sprintf("%.0f%%", s.ResilienceScore)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", i+1, s.Name, s.State, orDash(string(s.Verdict)), score, len(s.Runs), s.Reason)
	}
	_ = tw.Flush()
	for _, g := range st.Guards {
		fmt.Fprintf(w, "  guard %s: %d observations, %d failed\n", g.Name, g.Observations, g.Failures)
	}
	for _, n := range st.Notes {
		fmt.Fprintf(w, "  note at step %d, %s by %s: %s\n", n.Step+1, n.At.Format(time.RFC3339), orDash(n.By), n.Text)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// campaignStatus prints the status of workflow id when it is a campaign;
// false when it is not one.
func campaignStatus(ctx context.Context, sess *session, id, output string, w io.Writer) (bool, error) {
	desc, err := sess.client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil || desc.GetWorkflowExecutionInfo().GetType().GetName() != workflows.CampaignWorkflowName {
		return false, nil
	}
	k := starter.AttachCampaign(sess.client, id)
	// A closed campaign is read from its result (no worker needed); an
	// open one is asked (a worker answers).
	read := k.Status
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		read = k.Result
	}
	st, err := read(ctx)
	if err != nil {
		return true, &exitError{code: exitErrored, err: err}
	}
	if output == "json" {
		return true, writeJSON(w, st)
	}
	writeCampaignStatus(w, id, st)
	return true, nil
}

// writeJSON writes v indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newCampaignCommands are approve, skip, pause, resume and note.
func newCampaignCommands(g *globalFlags) []*cobra.Command {
	type act func(ctx context.Context, k *starter.Campaign, step int, text, by string) (string, error)
	mk := func(use, short, example string, needText bool, do act) *cobra.Command {
		var step int
		cmd := &cobra.Command{
			Use:     use,
			Short:   short,
			Example: example,
			Args:    cobra.RangeArgs(1, 2),
			RunE: func(cmd *cobra.Command, args []string) error {
				text := ""
				if len(args) == 2 {
					text = args[1]
				}
				if needText && text == "" {
					return &exitError{code: exitErrored, err: errors.New("the text is required: " + cmd.Use)}
				}
				sess, err := connect(cmd.Context(), g, false)
				if err != nil {
					return err
				}
				defer sess.Close()
				msg, err := do(cmd.Context(), starter.AttachCampaign(sess.client, args[0]), step, text, whoAmI())
				if err != nil {
					return &exitError{code: exitErrored, err: err}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", args[0], msg)
				return nil
			},
		}
		cmd.Flags().IntVar(&step, "step", 0, "the step, counted from 1 (default: the one waiting or next)")
		return cmd
	}
	return []*cobra.Command{
		mk("approve CAMPAIGN-ID", "Approve the campaign step that waits for approval", "  tempest approve tempest-campaign-game-day-1a2b3c4d", false,
			func(ctx context.Context, k *starter.Campaign, step int, _, by string) (string, error) {
				return k.Approve(ctx, step, by)
			}),
		mk("skip CAMPAIGN-ID [REASON]", "Skip the campaign step that waits for approval, or a later one (--step)", "  tempest skip ID\n  tempest skip --step 4 ID \"the database team is away\"", false,
			func(ctx context.Context, k *starter.Campaign, step int, text, by string) (string, error) {
				return k.Skip(ctx, step, text, by)
			}),
		mk("pause CAMPAIGN-ID [REASON]", "Pause a campaign once its running step has ended", "  tempest pause ID \"lunch\"", false,
			func(ctx context.Context, k *starter.Campaign, _ int, text, by string) (string, error) {
				return k.Pause(ctx, text, by)
			}),
		mk("resume CAMPAIGN-ID", "Resume a paused campaign", "  tempest resume ID", false,
			func(ctx context.Context, k *starter.Campaign, _ int, _, by string) (string, error) {
				return k.Resume(ctx, by)
			}),
		mk("note CAMPAIGN-ID TEXT", "Record an observation in a campaign's history and status", "  tempest note ID \"p99 latency doubled on the dashboard\"", true,
			func(ctx context.Context, k *starter.Campaign, _ int, text, by string) (string, error) {
				return k.Note(ctx, text, by)
			}),
	}
}
