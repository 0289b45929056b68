package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/starter"
)

// zoneOf is the time zone of spec (UTC when it names none or one this
// machine does not know).
func zoneOf(spec client.ScheduleSpec) *time.Location {
	if spec.TimeZoneName == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(spec.TimeZoneName)
	if err != nil {
		return time.UTC
	}
	return loc
}

// timeIn writes t in loc, and in UTC too when loc is another zone.
func timeIn(t time.Time, loc *time.Location) string {
	s := t.In(loc).Format("2006-01-02 15:04:05 MST")
	if loc != time.UTC {
		s += " (" + t.UTC().Format("15:04:05Z") + ")"
	}
	return s
}

func lower(s string) string { return strings.ToLower(s) }

// whenText says when spec acts, in the forms the flags take.
func whenText(spec client.ScheduleSpec) string {
	var parts []string
	for _, c := range spec.CronExpressions {
		parts = append(parts, "cron "+c)
	}
	for _, iv := range spec.Intervals {
		s := "every " + intervalText(iv.Every)
		if iv.Offset > 0 {
			s += " offset " + intervalText(iv.Offset)
		}
		parts = append(parts, s)
	}
	for _, c := range spec.Calendars {
		text := c.Comment
		if text == "" {
			text = starter.CalendarString(c)
		}
		parts = append(parts, "calendar "+text)
	}
	if len(parts) == 0 {
		return "only when triggered"
	}
	s := strings.Join(parts, "; ")
	if spec.TimeZoneName != "" && spec.TimeZoneName != "UTC" {
		s += " (" + spec.TimeZoneName + ")"
	}
	return s
}

// skipText lists spec's freeze windows as they were written (a date
// window is one entry however many months it spans).
func skipText(spec client.ScheduleSpec) string {
	var parts []string
	for _, c := range spec.Skip {
		s := c.Comment
		if s == "" {
			s = starter.SkipString(c)
		}
		if len(parts) == 0 || parts[len(parts)-1] != s {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// intervalText writes d without its zero tail: 5m, 1h30m, 2s.
func intervalText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// fileState says whether the file a schedule was read from still has the
// bytes it had then.
func fileState(src starter.Source) string {
	if src.Path == "" {
		return ""
	}
	data, err := os.ReadFile(src.Path)
	switch {
	case err != nil:
		return "not readable here"
	case starter.SourceOf(src.Path, data).SHA256 == src.SHA256:
		return "unchanged on disk"
	default:
		return "changed on disk since: the schedule still runs the version it holds (`tempest schedule update NAME FILE` takes the new one)"
	}
}

func writeScheduleTable(w io.Writer, list []starter.ScheduleSummary) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No schedules found.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRUNS\tWHEN\tSTATE\tNEXT\tLAST")
	for _, s := range list {
		state := "active"
		if s.Paused {
			state = "paused"
		}
		next, last := "-", "-"
		if len(s.NextActionTimes) > 0 {
			next = s.NextActionTimes[0].Local().Format(time.DateTime)
		}
		if !s.LastAction.IsZero() {
			last = s.LastAction.Local().Format(time.DateTime)
		}
		what := s.WorkflowType
		if s.Name != "" {
			what = lower(s.Kind) + " " + s.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, what, whenText(s.Spec), state, next, last)
	}
	_ = tw.Flush()
}

func writeScheduleText(w io.Writer, d starter.ScheduleDescription, onDisk string) {
	loc := zoneOf(d.Spec)
	fmt.Fprintf(w, "Schedule %s: %s %s\n", d.ID, lower(d.Kind), d.Name)
	if d.Source.Path != "" {
		fmt.Fprintf(w, "  file:       %s\n", d.Source.Path)
		fmt.Fprintf(w, "  sha256:     %s", d.Source.SHA256)
		if onDisk != "" {
			fmt.Fprintf(w, " (%s)", onDisk)
		}
		fmt.Fprintln(w)
		if d.Created.SHA256 != "" && d.Created != d.Source {
			fmt.Fprintf(w, "  created from %s (sha256 %s), updated since\n", d.Created.Path, d.Created.SHA256)
		}
	}
	fmt.Fprintf(w, "  when:       %s\n", whenText(d.Spec))
	if len(d.Spec.Skip) > 0 {
		fmt.Fprintf(w, "  skip:       %s\n", skipText(d.Spec))
	}
	fmt.Fprintf(w, "  time zone:  %s", loc)
	if d.Spec.Jitter > 0 {
		fmt.Fprintf(w, ", jitter up to %s", intervalText(d.Spec.Jitter))
	}
	fmt.Fprintln(w)
	if !d.Spec.StartAt.IsZero() || !d.Spec.EndAt.IsZero() {
		from, to := "-", "-"
		if !d.Spec.StartAt.IsZero() {
			from = timeIn(d.Spec.StartAt, loc)
		}
		if !d.Spec.EndAt.IsZero() {
			to = timeIn(d.Spec.EndAt, loc)
		}
		fmt.Fprintf(w, "  window:     %s to %s\n", from, to)
	}
	fmt.Fprintf(w, "  overlap:    %s; pause on failure: %s; catchup window: %s\n", d.Overlap, yesNo(d.PauseOnFailure), intervalText(d.CatchupWindow))
	state := "active"
	if d.Paused {
		state = "PAUSED"
	}
	if d.Note != "" {
		state += fmt.Sprintf(" (note: %s)", d.Note)
	}
	fmt.Fprintf(w, "  state:      %s\n", state)
	fmt.Fprintf(w, "  actions:    %d taken, %d skipped (overlap), %d missed (catchup window)\n", d.Actions, d.SkippedOverlap, d.MissedCatchupWindow)
	if len(d.Running) > 0 {
		fmt.Fprintf(w, "  running:    %s\n", strings.Join(d.Running, ", "))
	}
	if len(d.NextActionTimes) > 0 {
		fmt.Fprintln(w, "  next:")
		for _, t := range d.NextActionTimes {
			fmt.Fprintf(w, "    %s\n", timeIn(t, loc))
		}
	}
	if len(d.RecentActions) > 0 {
		fmt.Fprintln(w, "  recent:")
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "    SCHEDULED\tWORKFLOW ID\tSTATUS\tVERDICT")
		for _, r := range d.RecentActions {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", timeIn(r.ScheduledAt, loc), r.WorkflowID, dash(r.Status), dash(r.Verdict))
		}
		_ = tw.Flush()
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
