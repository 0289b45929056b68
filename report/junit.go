package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// JUnit XML as CI systems read it (the Jenkins/Surefire schema that
// GitHub, GitLab and Jenkins consume).
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
		SystemOut  string          `xml:"system-out,omitempty"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		Skipped   *junitProblem `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr,omitempty"`
		Type    string `xml:"type,attr,omitempty"`
		Body    string `xml:",chardata"`
	}
)

// JUnit writes the report as JUnit XML: one testsuite for the experiment
// with a testcase per probe, per load threshold and per fault (failing
// when a revert failed), and one for the verdict itself, so an Errored or
// Aborted run whose probes passed is not green. A failure's message has
// the measured value.
func JUnit(w io.Writer, r Run) error {
	res := r.Result
	class := "tempest." + res.Experiment
	s := junitSuite{
		Name:      res.Experiment,
		Time:      seconds(runDuration(res)),
		Timestamp: res.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"verdict", string(res.Verdict)},
			{"resilienceScore", strconv.FormatFloat(res.ResilienceScore, 'f', 1, 64)},
			{"workflowId", r.WorkflowID},
			{"runId", r.RunID},
		},
	}
	if r.Hypothesis != "" {
		s.Properties = append(s.Properties, junitProperty{"hypothesis", r.Hypothesis})
	}
	if r.UILink != "" {
		s.Properties = append(s.Properties, junitProperty{"temporalUI", r.UILink})
	}

	verdict := junitCase{Name: "verdict", Classname: class, Time: "0"}
	reasons := strings.Join(res.Reasons, "\n")
	switch res.Verdict {
	case experiment.VerdictPassed:
	case experiment.VerdictDryRun:
		verdict.Skipped = &junitProblem{Message: "dry run: nothing was injected"}
	case experiment.VerdictFailed:
		verdict.Failure = &junitProblem{Message: "verdict Failed: " + firstLine(res.Reasons), Type: string(res.Verdict), Body: reasons}
	default:
		verdict.Error = &junitProblem{Message: "verdict " + string(res.Verdict) + ": " + firstLine(res.Reasons), Type: string(res.Verdict), Body: reasons}
	}
	s.Cases = append(s.Cases, verdict)

	for _, p := range res.Probes {
		c := junitCase{Name: fmt.Sprintf("probe %s (%s)", p.Name, p.Mode), Classname: class + ".probes", Time: seconds(probeTime(r.Timeline, p.Name))}
		summary := fmt.Sprintf("%d observations, %d failed, %.1f%% passed", p.Observations, p.Failures, p.SuccessPercent)
		if p.Passed {
			c.SystemOut = summary
		} else {
			msg := summary
			var body []string
			if o := p.FirstFailure; o != nil {
				msg += "; first failure: " + observation(*o)
				body = append(body, "first failure at "+o.At.UTC().Format(time.RFC3339Nano)+": "+observation(*o))
			}
			if o := p.Last; o != nil {
				body = append(body, "last observation at "+o.At.UTC().Format(time.RFC3339Nano)+": "+observation(*o))
			}
			c.Failure = &junitProblem{Message: msg, Type: "ProbeFailed", Body: strings.Join(body, "\n")}
		}
		s.Cases = append(s.Cases, c)
	}

	if res.Load != nil {
		for _, t := range res.Load.Thresholds {
			c := junitCase{Name: fmt.Sprintf("threshold %s: %s", t.Metric, t.Expression), Classname: class + ".thresholds", Time: "0"}
			if t.Passed {
				c.SystemOut = "measured " + t.Value
			} else {
				c.Failure = &junitProblem{Message: fmt.Sprintf("%s %s not met: measured %s", t.Metric, t.Expression, t.Value), Type: "ThresholdFailed"}
			}
			s.Cases = append(s.Cases, c)
		}
	}

	for _, f := range res.Faults {
		c := junitCase{Name: "fault " + f.Name + " reverted", Classname: class + ".faults", Time: "0"}
		summary := fmt.Sprintf("%d injections, %d reverted", f.Injections, f.Reverts)
		if len(f.LeftBehind) > 0 {
			c.Error = &junitProblem{Message: summary + "; may be left behind: " + strings.Join(f.LeftBehind, ", "), Type: "RevertFailed"}
		} else {
			c.SystemOut = summary
		}
		s.Cases = append(s.Cases, c)
	}

	for _, c := range s.Cases {
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	s.Tests = len(s.Cases)
	var timeline strings.Builder
	for _, e := range r.Timeline.Events() {
		fmt.Fprintf(&timeline, "%s %s\n", e.At.UTC().Format(time.RFC3339Nano), e.What)
	}
	s.SystemOut = timeline.String()
	doc := junitSuites{Name: "tempest", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// probeTime is how long the probe's activities ran in total.
func probeTime(tl Timeline, name string) time.Duration {
	var d time.Duration
	for _, p := range tl.Probes {
		if p.Probe == name && !p.End.IsZero() {
			d += p.End.Sub(p.Start)
		}
	}
	return d
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

func firstLine(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}
