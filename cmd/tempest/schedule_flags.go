package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	schedulepb "go.temporal.io/api/schedule/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/service/worker/scheduler"

	"github.com/tempest-chaos/tempest/starter"
)

// scheduleFlags are the settings of `tempest schedule create` and
// `update`.
type scheduleFlags struct {
	cron, every, calendar, skip []string
	timezone, jitter            string
	startAt, endAt              string
	overlap                     string
	catchupWindow               string
	pauseOnFailure              bool
	note                        string
	paused                      bool
	set                         []string
}

// calendarHelp documents --calendar and --skip.
const calendarHelp = `
When:
  --cron EXPR        a cron expression: 5 fields (minute hour day month weekday),
                     6 (+ year) or 7 (second first); names (MON-FRI, JAN), ranges,
                     lists, steps and @daily/@hourly/@weekly/@monthly/@yearly
  --every D[/OFF]    every D (s, m, h or d), at the Unix epoch + n*D + OFF: 1h/15m
                     is every hour at minute 15; intervals ignore --timezone
  --calendar EXPR    a calendar expression: KEY=VALUES fields, where KEY is second,
                     minute, hour, day (of month), month, year or dow (day of week,
                     0 or sun is Sunday) and VALUES a comma list of N, N-M, N-M/STEP,
                     */STEP or *; at=HH:MM[:SS] sets hour, minute and second at once.
                     Left out: second, minute and hour are 0, the others any.
                     "dow=mon-fri at=09:30", "day=1,15 hour=3", "month=jan-mar dow=sat at=22:00"
  They are repeatable and add up: the schedule acts at the union of their times.

Freeze windows (--skip, repeatable): no action at a time a window matches.
  --skip "dow=sat,sun"             weekends (fields left out of a skip match anything)
  --skip "hour=0-6"                the early hours of every day
  --skip 2026-12-21..2027-01-03    a date window, both days included (one date: one day)
  --skip "month=dec day=24-26"     those days every year
  Windows, --cron and --calendar are in --timezone (an IANA name such as
  Europe/Paris; default UTC); --start-at/--end-at bound the schedule.`

// addSpecFlags adds the flags that say when a schedule acts.
func addSpecFlags(cmd *cobra.Command, f *scheduleFlags) {
	fs := cmd.Flags()
	fs.StringArrayVar(&f.cron, "cron", nil, "cron expression (repeatable)")
	fs.StringArrayVar(&f.every, "every", nil, "interval `D[/OFFSET]`, such as 2s, 1h or 1d/3h (repeatable)")
	fs.StringArrayVar(&f.calendar, "calendar", nil, "calendar expression such as \"dow=mon-fri at=09:30\" (repeatable; see below)")
	fs.StringArrayVar(&f.skip, "skip", nil, "freeze window: a calendar expression (\"dow=sat,sun\") or dates YYYY-MM-DD..YYYY-MM-DD (repeatable)")
	fs.StringVar(&f.timezone, "timezone", "", "IANA time zone of --cron, --calendar and --skip, such as Europe/Paris (default UTC)")
	fs.StringVar(&f.jitter, "jitter", "", "delay each action by a random time up to this, such as 30s or 5m")
	fs.StringVar(&f.startAt, "start-at", "", "no action before this time: RFC 3339, or YYYY-MM-DD[ HH:MM] in --timezone")
	fs.StringVar(&f.endAt, "end-at", "", "no action after this time: RFC 3339, or YYYY-MM-DD[ HH:MM] in --timezone")
	fs.StringVar(&f.overlap, "overlap", "skip", "when an action is due while the run before still runs: skip, buffer-one, buffer-all, cancel-other (aborts and reverts it) or allow-all")
	fs.BoolVar(&f.pauseOnFailure, "pause-on-failure", false, "pause the schedule when a run it started fails (a verdict other than Passed)")
	fs.StringVar(&f.catchupWindow, "catchup-window", starter.DefaultCatchupWindow.String(), "an action missed by more than this while the server was down is not taken late (describe counts it missed)")
}

// catchup is --catchup-window.
func (f *scheduleFlags) catchup() (time.Duration, error) {
	d, err := starter.ParseDuration(f.catchupWindow)
	if err != nil || d < 10*time.Second {
		return 0, fmt.Errorf("--catchup-window %q: want a duration of at least 10s, such as 15m or 1h", f.catchupWindow)
	}
	return d, nil
}

// buildSpec is the schedule spec of the flags; on update (base not nil)
// only the flags given change base.
func (f *scheduleFlags) buildSpec(cmd *cobra.Command, base *client.ScheduleSpec) (client.ScheduleSpec, error) {
	var spec client.ScheduleSpec
	changed := func(name string) bool { return base == nil || cmd.Flags().Changed(name) }
	if base != nil {
		spec = *base
	}
	if changed("timezone") {
		spec.TimeZoneName = f.timezone
	}
	if err := starter.ValidateScheduleSpec(client.ScheduleSpec{TimeZoneName: spec.TimeZoneName}); err != nil {
		return spec, err
	}
	loc := time.UTC
	if spec.TimeZoneName != "" {
		loc, _ = time.LoadLocation(spec.TimeZoneName)
	}
	if changed("cron") || changed("every") || changed("calendar") {
		spec.CronExpressions, spec.Intervals, spec.Calendars = nil, nil, nil
		for _, c := range f.cron {
			if err := checkCron(c); err != nil {
				return spec, err
			}
			spec.CronExpressions = append(spec.CronExpressions, c)
		}
		for _, e := range f.every {
			iv, err := starter.ParseInterval(e)
			if err != nil {
				return spec, err
			}
			spec.Intervals = append(spec.Intervals, iv)
		}
		for _, c := range f.calendar {
			cal, err := starter.ParseCalendar(c)
			if err != nil {
				return spec, err
			}
			spec.Calendars = append(spec.Calendars, cal)
		}
		if len(spec.CronExpressions)+len(spec.Intervals)+len(spec.Calendars) == 0 {
			return spec, fmt.Errorf("say when it runs: one of --cron, --every or --calendar is required")
		}
	}
	if changed("skip") {
		spec.Skip = nil
		for _, s := range f.skip {
			if base != nil && strings.EqualFold(s, "none") {
				continue
			}
			cals, err := starter.ParseSkip(s)
			if err != nil {
				return spec, err
			}
			spec.Skip = append(spec.Skip, cals...)
		}
	}
	if changed("jitter") {
		spec.Jitter = 0
		if f.jitter != "" {
			d, err := starter.ParseDuration(f.jitter)
			if err != nil || d < 0 {
				return spec, fmt.Errorf("--jitter %q: want a duration such as 30s or 5m", f.jitter)
			}
			spec.Jitter = d
		}
	}
	for _, b := range []struct {
		flag  string
		value string
		dst   *time.Time
	}{{"start-at", f.startAt, &spec.StartAt}, {"end-at", f.endAt, &spec.EndAt}} {
		if !changed(b.flag) {
			continue
		}
		*b.dst = time.Time{}
		if b.value == "" || strings.EqualFold(b.value, "none") {
			continue
		}
		t, err := parseWhen(b.value, loc, time.Now())
		if err != nil {
			return spec, fmt.Errorf("--%s %q: %w", b.flag, b.value, err)
		}
		*b.dst = t
	}
	return spec, starter.ValidateScheduleSpec(spec)
}

// checkCron parses expr with the Temporal server's own schedule parser,
// the one the server runs on create, so an expression is refused here,
// naming the flag, exactly when the server would refuse it.
func checkCron(expr string) error {
	b := scheduler.NewSpecBuilder(dynamicconfig.GetIntPropertyFn(0), dynamicconfig.GetIntPropertyFn(0))
	if _, err := b.NewCompiledSpec(&schedulepb.ScheduleSpec{CronString: []string{expr}}); err != nil {
		return fmt.Errorf("--cron %q: %v", expr, err)
	}
	return nil
}

// parseWhen reads a time: RFC 3339; YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS]
// (or with a T) in loc; "now", "now-D" or "now+D" (D such as 90m or 7d).
func parseWhen(s string, loc *time.Location, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now, nil
		}
		sign := rest[0]
		d, err := starter.ParseDuration(rest[1:])
		if (sign != '-' && sign != '+') || err != nil {
			return time.Time{}, fmt.Errorf("want now, now-D or now+D with D such as 90m or 7d")
		}
		if sign == '-' {
			d = -d
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02 15:04", "2006-01-02T15:04", time.DateTime, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want RFC 3339 (2026-12-24T18:00:00Z), YYYY-MM-DD[ HH:MM] in the time zone %s, or now-D", loc)
}
