package report

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes the report as GitHub-flavoured Markdown, for a pull
// request comment: the verdict first, then probes, faults, load and
// thresholds, and the full timeline folded in a <details> block.
func Markdown(w io.Writer, r Run) error {
	var b strings.Builder
	res := r.Result
	mark := "✅"
	if !verdictPassed(res.Verdict) {
		mark = "❌"
	}
	fmt.Fprintf(&b, "## %s Tempest experiment `%s`: %s\n\n", mark, res.Experiment, res.Verdict)
	if r.Hypothesis != "" {
		fmt.Fprintf(&b, "> %s\n\n", mdInline(r.Hypothesis))
	}
	fmt.Fprintf(&b, "| Verdict | Resilience score | Started (UTC) | Took | Run |\n| --- | --- | --- | --- | --- |\n")
	run := "`" + r.WorkflowID + "`"
	if r.UILink != "" {
		run = "[" + r.WorkflowID + "](" + r.UILink + ")"
	}
	fmt.Fprintf(&b, "| **%s** | %.1f%% | %s | %s | %s |\n\n", res.Verdict, res.ResilienceScore,
		res.StartedAt.UTC().Format("2006-01-02 15:04:05"), roundDuration(runDuration(res)), run)
	if len(res.Reasons) > 0 {
		b.WriteString("**Reasons**\n\n")
		for _, s := range res.Reasons {
			fmt.Fprintf(&b, "- %s\n", mdInline(s))
		}
		b.WriteString("\n")
	}
	if len(res.Probes) > 0 {
		b.WriteString("### Probes\n\n| Probe | Mode | Result | Observations | Failures | First failure | Last |\n| --- | --- | --- | ---: | ---: | --- | --- |\n")
		for _, p := range res.Probes {
			first, last := "", ""
			if p.FirstFailure != nil {
				first = offset(res.StartedAt, p.FirstFailure.At) + " " + observation(*p.FirstFailure)
			}
			if p.Last != nil {
				last = offset(res.StartedAt, p.Last.At) + " " + observation(*p.Last)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %s | %s |\n", mdCell(p.Name), p.Mode, passFail(p.Passed),
				p.Observations, p.Failures, mdCell(first), mdCell(last))
		}
		b.WriteString("\n")
	}
	if len(res.Faults) > 0 {
		b.WriteString("### Faults\n\n| Fault | Injections | Reverted | Left behind | Recovery |\n| --- | ---: | ---: | --- | --- |\n")
		for _, f := range res.Faults {
			rec := ""
			if f.RecoveryKnown {
				rec = roundDuration(f.Recovery).String()
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s |\n", mdCell(f.Name), f.Injections, f.Reverts, mdCell(strings.Join(f.LeftBehind, ", ")), rec)
		}
		b.WriteString("\n")
	}
	if len(r.Timeline.Injections) > 0 {
		b.WriteString("### Injections\n\nTimes from the start of the run; in place is from the inject taking effect to its revert done.\n\n")
		b.WriteString("| Fault | # | Target | Injected | Reverted | In place | Outcome |\n| --- | ---: | --- | --- | --- | --- | --- |\n")
		for _, in := range r.Timeline.Injections {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", mdCell(in.Fault), in.N, mdCell("`"+in.Target+"`"),
				offset(res.StartedAt, in.At), offset(res.StartedAt, in.RevertedAt), mdCell(heldText(in)), mdCell(injectionOutcome(in)))
		}
		b.WriteString("\n")
	}
	if l := res.Load; l != nil {
		fmt.Fprintf(&b, "### Load\n\n%d requests, %d succeeded.\n\n", l.Requests, l.Successes)
		b.WriteString("| Phase | Requests | Success | Rate | p50 | p95 | p99 | Max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, p := range l.Phases {
			fmt.Fprintf(&b, "| %s | %d | %s | %.1f/s | %s | %s | %s | %s |\n", p.Phase, p.Requests, percent(p.SuccessRatio), p.Rate,
				ms(p.P50), ms(p.P95), ms(p.P99), ms(p.Max))
		}
		b.WriteString("\n")
		if len(l.Thresholds) > 0 {
			b.WriteString("| Threshold | Result | Measured |\n| --- | --- | --- |\n")
			for _, t := range l.Thresholds {
				fmt.Fprintf(&b, "| `%s: %s` | %s | %s |\n", mdCode(t.Metric), mdCode(t.Expression), passFail(t.Passed), mdCell(t.Value))
			}
			b.WriteString("\n")
		}
	}
	if evs := r.Timeline.Events(); len(evs) > 0 {
		fmt.Fprintf(&b, "<details><summary>Timeline (%d events)</summary>\n\n| At (UTC) | Since start | Event |\n| --- | --- | --- |\n", len(evs))
		for _, e := range evs {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", clock(e.At), offset(res.StartedAt, e.At), mdCell(e.What))
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func passFail(ok bool) string {
	if ok {
		return "✅ passed"
	}
	return "❌ failed"
}

// mdCell makes s safe in a table cell: one line, pipes escaped.
func mdCell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// mdInline makes s one line of text.
func mdInline(s string) string { return strings.Join(strings.Fields(s), " ") }

// mdCode makes s safe inside a code span in a table cell.
func mdCode(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(mdInline(s), "`", "'"), "|", `\|`)
}
