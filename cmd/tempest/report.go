package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	runreport "github.com/tempest-chaos/tempest/report"
	"github.com/tempest-chaos/tempest/starter"
)

// reportFormats are the formats of `tempest report`, with the file
// extensions that select them.
var reportFormats = map[string]struct {
	render func(io.Writer, runreport.Run) error
	exts   []string
}{
	"html":  {runreport.HTML, []string{".html", ".htm"}},
	"md":    {runreport.Markdown, []string{".md", ".markdown"}},
	"junit": {runreport.JUnit, []string{".xml"}},
	"json":  {runreport.JSON, []string{".json"}},
}

// defaultUIURL is the Temporal Web UI of `tempest dev` and of the embedded
// server, the default base of a report's link.
const defaultUIURL = "http://127.0.0.1:8233"

func newReportCommand(g *globalFlags) *cobra.Command {
	var runID, format, output, uiURL string
	cmd := &cobra.Command{
		Use:   "report WORKFLOW-ID [--format html|md|junit|json] [-o FILE]",
		Short: "Write the report of an ended experiment: HTML with charts, Markdown, JUnit XML or JSON",
		Long: `Write the report of an experiment that has ended, read from the Temporal server
alone (its result and history: no worker is needed, and it works for any past run,
whether started by tempest run, the Temporal UI or the Go API).

  html   one self-contained page (it fetches nothing): verdict, reasons, score,
         targets, charts of request rate, error rate and latency with the phases
         shaded, every injection marked and the thresholds drawn, and a timeline
         of every inject, revert and probe as it happened
  md     GitHub-flavoured Markdown, for a pull-request comment
  junit  JUnit XML for CI: a testcase per probe, per threshold, per fault and
         for the verdict
  json   the result and the timeline

The format defaults to the one of -o's extension (.html, .md, .xml, .json), or md
without -o.`,
		Example: `  tempest report tempest-process-kill-1a2b3c4d -o report.html
  tempest report WORKFLOW-ID --format md >> "$GITHUB_STEP_SUMMARY"
  tempest report WORKFLOW-ID --run-id RUN-ID --format junit -o tempest.xml
  tempest report --address temporal.example:7233 --ui-url https://temporal.example WORKFLOW-ID -o r.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := reportFormat(format, output)
			if err != nil {
				return &exitError{code: exitErrored, err: err}
			}
			sess, err := connect(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer sess.Close()
			sess.uiBase = strings.TrimRight(uiURL, "/")
			r, err := readReport(cmd.Context(), sess.client, args[0], runID, func(id, run string) string {
				return sess.uiLink(g.namespace, id, run)
			})
			if err != nil {
				return &exitError{code: exitErrored, err: err}
			}
			if err := writeReport(r, f, output, cmd.OutOrStdout()); err != nil {
				return &exitError{code: exitErrored, err: err}
			}
			if output != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote the %s report of %s (%s) to %s\n", f, r.WorkflowID, r.Result.Verdict, output)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run-id", "", "run ID (default: the latest run)")
	cmd.Flags().StringVar(&format, "format", "", "html, md, junit or json (default: from -o's extension, else md)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (default: standard output)")
	cmd.Flags().StringVar(&uiURL, "ui-url", envOr(uiURLEnv, defaultUIURL), "base URL of the Temporal Web UI for the report's link ($"+uiURLEnv+" when set; empty: no link)")
	return cmd
}

// reportFormat is the format asked for, or the one of path's extension.
func reportFormat(format, path string) (string, error) {
	if format != "" {
		if _, ok := reportFormats[format]; !ok {
			return "", fmt.Errorf("--format: want html, md, junit or json, got %q", format)
		}
		return format, nil
	}
	if path == "" {
		return "md", nil
	}
	ext := strings.ToLower(filepath.Ext(path))
	for name, f := range reportFormats {
		for _, e := range f.exts {
			if e == ext {
				return name, nil
			}
		}
	}
	return "", fmt.Errorf("--format: none given, and %q does not say one (.html, .md, .xml or .json)", path)
}

// writeReport renders r as format into path (stdout when empty); the file
// is only written once the whole report is rendered.
func writeReport(r runreport.Run, format, path string, stdout io.Writer) error {
	var b bytes.Buffer
	if err := reportFormats[format].render(&b, r); err != nil {
		return err
	}
	if path == "" {
		_, err := stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// readReport reads what a report shows of run runID of workflow id (the
// latest run when empty) from the server: its result, the experiment it
// was started with, and the histories of it and of its fault workflows.
// link makes the UI link of a run. A run still open has no report yet.
func readReport(ctx context.Context, c client.Client, id, runID string, link func(id, runID string) string) (runreport.Run, error) {
	var r runreport.Run
	desc, err := starter.Attach(c, id, runID).Describe(ctx)
	if err != nil {
		return r, err
	}
	if desc.Running {
		return r, fmt.Errorf("%s is still running: its report can be written once it has ended (follow it with `tempest status %s`)", id, id)
	}
	run := starter.Attach(c, desc.WorkflowID, desc.RunID)
	res, err := run.Result(ctx)
	if err != nil {
		return r, fmt.Errorf("read the result of %s (%s): %w", id, desc.Status, err)
	}
	r = runreport.Run{WorkflowID: desc.WorkflowID, RunID: desc.RunID, Result: res, UILink: link(desc.WorkflowID, desc.RunID)}
	if exp, err := run.Experiment(ctx); err == nil {
		r.Hypothesis = exp.Spec.Hypothesis
	}
	hists, err := readHistories(ctx, c, runreport.Execution{WorkflowID: desc.WorkflowID, RunID: desc.RunID})
	if err != nil {
		return r, err
	}
	r.Timeline = runreport.BuildTimeline(res, hists...)
	return r, nil
}

// maxReportHistories bounds the histories read for one report (the run,
// each fault workflow, each of their continued-as-new runs).
const maxReportHistories = 1000

// readHistories reads the history of run and, recursively, of the child
// workflows it started, following every continue-as-new.
func readHistories(ctx context.Context, c client.Client, run runreport.Execution) ([]runreport.History, error) {
	var out []runreport.History
	queue := []runreport.Execution{run}
	for len(queue) > 0 && len(out) < maxReportHistories {
		e := queue[0]
		queue = queue[1:]
		events, err := historyEvents(ctx, c, e)
		if err != nil {
			return out, err
		}
		h := runreport.ParseHistory(events)
		out = append(out, h)
		queue = append(queue, h.Children...)
		if h.ContinuedAs != "" {
			queue = append(queue, runreport.Execution{WorkflowID: e.WorkflowID, RunID: h.ContinuedAs})
		}
	}
	return out, nil
}

func historyEvents(ctx context.Context, c client.Client, e runreport.Execution) ([]*historypb.HistoryEvent, error) {
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, e.WorkflowID, e.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read the history of %s: %w", e.WorkflowID, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// addReportFlag registers `tempest run --report FILE`; FILE's extension
// says the format, checked before the run starts.
func addReportFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().Var((*reportPath)(path), "report", "when the run has ended, write its report to this file, in the format of its extension: .html (charts), .md, .xml (JUnit) or .json, as `tempest report` does (not with --detach)")
}

// reportPath is a --report file whose extension names a format.
type reportPath string

func (p *reportPath) String() string { return string(*p) }
func (p *reportPath) Type() string   { return "file" }

func (p *reportPath) Set(s string) error {
	if _, err := reportFormat("", s); err != nil {
		return fmt.Errorf("want a file ending in .html, .md, .xml or .json")
	}
	*p = reportPath(s)
	return nil
}

// writeRunReport writes the report of the run that `tempest run` just
// waited for to path, saying so on notes; a failure is said on stderr and
// does not change the run's exit code.
func writeRunReport(ctx context.Context, c client.Client, id, runID, link, path string, notes, stderr io.Writer) {
	format, err := reportFormat("", path)
	if err == nil {
		var r runreport.Run
		r, err = readReport(ctx, c, id, runID, func(string, string) string { return link })
		if err == nil {
			err = writeReport(r, format, path, nil)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "tempest: report: %v\n", err)
		return
	}
	fmt.Fprintf(notes, "Report: %s\n", path)
}
