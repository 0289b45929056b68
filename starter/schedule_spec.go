package starter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// ScheduleSpecError is a schedule setting Tempest refuses before asking
// the server: Field names it as the CLI flag it comes from ("--every",
// "--timezone", ...), Value is what was given.
type ScheduleSpecError struct {
	Field, Value, Reason string
}

func (e *ScheduleSpecError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason)
}

// Overlap is what a schedule does when an action is due while the run it
// started before is still running.
type Overlap string

// The overlap policies. Temporal's terminate-other is not offered: a
// terminated experiment cannot revert its faults (cancel-other aborts the
// running one, which reverts, then starts the new one).
const (
	// OverlapSkip drops the action (the default); describe counts it.
	OverlapSkip Overlap = "skip"
	// OverlapBufferOne starts one action when the running run ends, and
	// drops any beyond it.
	OverlapBufferOne Overlap = "buffer-one"
	// OverlapBufferAll starts every action in turn, each when the one
	// before it ends (what a backfill uses by default).
	OverlapBufferAll Overlap = "buffer-all"
	// OverlapCancelOther cancels the running run (it aborts and reverts)
	// and starts the new one when it has ended.
	OverlapCancelOther Overlap = "cancel-other"
	// OverlapAllowAll starts every action at once, whatever runs.
	OverlapAllowAll Overlap = "allow-all"
)

var overlaps = map[Overlap]enumspb.ScheduleOverlapPolicy{
	OverlapSkip:        enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	OverlapBufferOne:   enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
	OverlapBufferAll:   enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
	OverlapCancelOther: enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
	OverlapAllowAll:    enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
}

const overlapNames = "skip, buffer-one, buffer-all, cancel-other or allow-all"

// ParseOverlap reads an overlap policy by its name; "" is OverlapSkip.
func ParseOverlap(s string) (Overlap, error) {
	o := Overlap(strings.ToLower(strings.TrimSpace(s)))
	if o == "" {
		return OverlapSkip, nil
	}
	if _, ok := overlaps[o]; ok {
		return o, nil
	}
	if o == "terminate-other" {
		return "", &ScheduleSpecError{Field: "--overlap", Value: s, Reason: "refused: a terminated experiment cannot revert its faults; cancel-other aborts the running one (it reverts) and then starts the new one"}
	}
	return "", &ScheduleSpecError{Field: "--overlap", Value: s, Reason: "want " + overlapNames}
}

// policy is Temporal's enum for o; "" leaves it unspecified (the
// schedule's own policy applies).
func (o Overlap) policy() enumspb.ScheduleOverlapPolicy {
	return overlaps[o]
}

// overlapOf is the Overlap of Temporal's policy.
func overlapOf(p enumspb.ScheduleOverlapPolicy) Overlap {
	for o, q := range overlaps {
		if q == p {
			return o
		}
	}
	if p == enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED {
		return OverlapSkip
	}
	return Overlap(strings.ToLower(strings.TrimPrefix(p.String(), "ScheduleOverlapPolicy")))
}

// ParseDuration is time.ParseDuration that also takes days ("7d",
// "1d12h"): a day is 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	var total time.Duration
	rest := strings.TrimSpace(s)
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		days, err := strconv.Atoi(rest[:i])
		if err != nil || days < 0 {
			return 0, fmt.Errorf("invalid duration %q: use a unit such as 30m, 12h or 7d", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		rest = rest[i+1:]
		if rest == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use a unit such as 30m, 12h or 7d", s)
	}
	return total + d, nil
}

// ParseInterval reads "EVERY" or "EVERY/OFFSET" (durations, days
// allowed): actions at the Unix epoch + n*EVERY + OFFSET, so "1h/15m" is
// every hour at minute 15 and "1d/3h" every day at 03:00 UTC (intervals
// ignore the time zone).
func ParseInterval(s string) (client.ScheduleIntervalSpec, error) {
	var iv client.ScheduleIntervalSpec
	every, offset, hasOffset := strings.Cut(s, "/")
	d, err := ParseDuration(every)
	if err != nil {
		return iv, &ScheduleSpecError{Field: "--every", Value: s, Reason: err.Error()}
	}
	iv.Every = d
	if hasOffset {
		o, err := ParseDuration(offset)
		if err != nil {
			return iv, &ScheduleSpecError{Field: "--every", Value: s, Reason: "offset: " + err.Error()}
		}
		iv.Offset = o
	}
	return iv, checkInterval("--every", s, iv)
}

func checkInterval(field, value string, iv client.ScheduleIntervalSpec) error {
	switch {
	case iv.Every < time.Second:
		return &ScheduleSpecError{Field: field, Value: value, Reason: "the interval must be at least 1s"}
	case iv.Every%time.Second != 0 || iv.Offset%time.Second != 0:
		return &ScheduleSpecError{Field: field, Value: value, Reason: "the interval and its offset must be whole seconds"}
	case iv.Offset < 0 || iv.Offset >= iv.Every:
		return &ScheduleSpecError{Field: field, Value: value, Reason: "the offset must be at least 0 and less than the interval"}
	}
	return nil
}

// calendarField is one field of a calendar expression.
type calendarField struct {
	key, alias string
	lo, hi     int
	names      []string // names of lo, lo+1, ...
	get        func(*client.ScheduleCalendarSpec) *[]client.ScheduleRange
}

var (
	monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dayNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

var calendarFields = []calendarField{
	{key: "second", alias: "sec", lo: 0, hi: 59, get: func(c *client.ScheduleCalendarSpec) *[]client.ScheduleRange { return &c.Second }},
	{key: "minute", alias: "min", lo: 0, hi: 59, get: func(c *client.ScheduleCalendarSpec) *[]client.ScheduleRange { return &c.Minute }},
	{key: "hour", lo: 0, hi: 23, get: func(c *client.ScheduleCalendarSpec) *[]client.ScheduleRange { return &c.Hour }},
	{key: "day", alias: "dom", lo: 1, hi: 31, get: func(c *client.ScheduleCalendarSpec) *[]client.ScheduleRange { return &c.DayOfMonth }},
	{key: "month", lo: 1, hi: 12, names: monthNames, get: func(c *client.ScheduleCalendarSpec) *[]client.ScheduleRange { return &c.Month }},
	{key: "year", lo: 1970, hi: 2999, get: func(c *client.ScheduleCalendarSpec) *[]client.ScheduleRange { return &c.Year }},
	{key: "dow", alias: "weekday", lo: 0, hi: 6, names: dayNames, get: func(c *client.ScheduleCalendarSpec) *[]client.ScheduleRange { return &c.DayOfWeek }},
}

// ParseCalendar reads a calendar expression: space-separated KEY=VALUES
// fields, each matching the times whose field is one of VALUES.
//
//	second (sec) 0-59   minute (min) 0-59   hour 0-23   at=HH:MM[:SS]
//	day (dom) 1-31      month 1-12 or jan-dec
//	year 1970-2999      dow (weekday) 0-6 or sun-sat (0 is Sunday)
//
// VALUES is a comma list of N, N-M, N-M/STEP, */STEP or *. at=HH:MM[:SS]
// sets hour, minute and second at once. A field left out of --calendar
// matches 0 for second, minute and hour, and everything for the others:
// "dow=mon-fri at=09:30" is 09:30:00 on weekdays, "day=1 hour=3" 03:00:00
// on the first of each month. Times are in the schedule's time zone.
func ParseCalendar(expr string) (client.ScheduleCalendarSpec, error) {
	return parseCalendar("--calendar", expr, false)
}

// ParseSkip reads a freeze window: a calendar expression (ParseCalendar)
// in which a field left out matches everything, so "dow=sat,sun" skips
// weekends and "hour=0-6" the early hours of every day; or a date window
// "YYYY-MM-DD..YYYY-MM-DD" (both days included; one date alone is one
// day), which becomes one calendar per month it spans. Both are in the
// schedule's time zone.
func ParseSkip(expr string) ([]client.ScheduleCalendarSpec, error) {
	e := strings.TrimSpace(expr)
	if len(e) >= 10 && e[4] == '-' && !strings.Contains(e, "=") {
		return dateWindow(expr)
	}
	cal, err := parseCalendar("--skip", expr, true)
	if err != nil {
		return nil, err
	}
	return []client.ScheduleCalendarSpec{cal}, nil
}

func parseCalendar(flag, expr string, unsetMeansAll bool) (client.ScheduleCalendarSpec, error) {
	var cal client.ScheduleCalendarSpec
	bad := func(format string, args ...any) error {
		return &ScheduleSpecError{Field: flag, Value: expr, Reason: fmt.Sprintf(format, args...)}
	}
	seen := map[string]bool{}
	if strings.TrimSpace(expr) == "" {
		return cal, bad("empty: want fields such as \"dow=mon-fri at=09:30\"")
	}
	for _, kv := range strings.Fields(expr) {
		// Each field is set once; at= sets three.
		k, v, ok := strings.Cut(kv, "=")
		k = strings.ToLower(k)
		if !ok || v == "" {
			return cal, bad("%q: want KEY=VALUES (keys: second, minute, hour, at, day, month, year, dow)", kv)
		}
		if k == "at" {
			for _, f := range []string{"hour", "minute", "second"} {
				if seen[f] {
					return cal, bad("%s is set twice (at= sets hour, minute and second)", f)
				}
				seen[f] = true
			}
			h, m, s, err := parseClock(v)
			if err != nil {
				return cal, bad("at=%s: %v", v, err)
			}
			cal.Hour, cal.Minute, cal.Second = []client.ScheduleRange{{Start: h, End: h}}, []client.ScheduleRange{{Start: m, End: m}}, []client.ScheduleRange{{Start: s, End: s}}
			continue
		}
		i := slices.IndexFunc(calendarFields, func(f calendarField) bool { return f.key == k || (f.alias != "" && f.alias == k) })
		if i < 0 {
			return cal, bad("unknown key %q: want second, minute, hour, at, day, month, year or dow", k)
		}
		f := calendarFields[i]
		if seen[f.key] {
			return cal, bad("%s is set twice", f.key)
		}
		seen[f.key] = true
		ranges, err := f.parse(v)
		if err != nil {
			return cal, bad("%s=%s: %v", k, v, err)
		}
		*f.get(&cal) = ranges
	}
	for _, f := range calendarFields {
		if seen[f.key] || f.key == "year" {
			continue
		}
		switch {
		case unsetMeansAll || f.lo > 0 || f.key == "dow":
			*f.get(&cal) = []client.ScheduleRange{{Start: f.lo, End: f.hi}}
		default:
			*f.get(&cal) = []client.ScheduleRange{{Start: 0}}
		}
	}
	cal.Comment = expr
	return cal, nil
}

// parse reads VALUES of f: N, N-M, N-M/STEP, */STEP, *, comma-separated.
func (f calendarField) parse(v string) ([]client.ScheduleRange, error) {
	var out []client.ScheduleRange
	for _, part := range strings.Split(v, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		r := client.ScheduleRange{Start: f.lo, End: f.hi}
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			lo, err := f.value(a)
			if err != nil {
				return nil, err
			}
			r = client.ScheduleRange{Start: lo, End: lo}
			if isRange {
				hi, err := f.value(b)
				if err != nil {
					return nil, err
				}
				if hi < lo {
					return nil, fmt.Errorf("range %s ends before it starts", rng)
				}
				r.End = hi
			} else if hasStep {
				r.End = f.hi
			}
		}
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("step %q: want a whole number of at least 1", step)
			}
			r.Step = n
		}
		out = append(out, r)
	}
	return out, nil
}

func (f calendarField) value(s string) (int, error) {
	if i := slices.Index(f.names, strings.ToLower(s)); i >= 0 {
		return f.lo + i, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.lo || n > f.hi {
		if f.names != nil {
			return 0, fmt.Errorf("%q: want %d-%d or %s-%s", s, f.lo, f.hi, f.names[0], f.names[len(f.names)-1])
		}
		return 0, fmt.Errorf("%q: want %d-%d", s, f.lo, f.hi)
	}
	return n, nil
}

// parseClock reads HH:MM or HH:MM:SS.
func parseClock(s string) (h, m, sec int, err error) {
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, perr := time.Parse(layout, s); perr == nil {
			return t.Hour(), t.Minute(), t.Second(), nil
		}
	}
	return 0, 0, 0, fmt.Errorf("want HH:MM or HH:MM:SS")
}

// dateWindow is the calendars of every second of the days from..to.
func dateWindow(expr string) ([]client.ScheduleCalendarSpec, error) {
	bad := func(reason string) error { return &ScheduleSpecError{Field: "--skip", Value: expr, Reason: reason} }
	a, b, isRange := strings.Cut(strings.TrimSpace(expr), "..")
	if !isRange {
		b = a
	}
	from, err1 := time.Parse(time.DateOnly, strings.TrimSpace(a))
	to, err2 := time.Parse(time.DateOnly, strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return nil, bad("want YYYY-MM-DD..YYYY-MM-DD (both days skipped) or a calendar expression such as \"dow=sat,sun\"")
	}
	if to.Before(from) {
		return nil, bad("the window ends before it starts")
	}
	all := func(lo, hi int) []client.ScheduleRange { return []client.ScheduleRange{{Start: lo, End: hi}} }
	var out []client.ScheduleCalendarSpec
	for d := from; !d.After(to); {
		last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC) // last day of d's month
		if last.After(to) {
			last = to
		}
		out = append(out, client.ScheduleCalendarSpec{
			Second: all(0, 59), Minute: all(0, 59), Hour: all(0, 23),
			DayOfMonth: all(d.Day(), last.Day()),
			Month:      []client.ScheduleRange{{Start: int(d.Month())}},
			Year:       []client.ScheduleRange{{Start: d.Year()}},
			DayOfWeek:  all(0, 6),
			Comment:    expr,
		})
		d = last.AddDate(0, 0, 1)
	}
	return out, nil
}

// CalendarString writes cal as a calendar expression ParseCalendar reads
// back: at=HH:MM for one time of day, and the fields a calendar leaves
// out (second, minute or hour 0; any day, month, weekday) left out.
func CalendarString(cal client.ScheduleCalendarSpec) string {
	return calendarString(cal, false)
}

// SkipString writes a skip calendar as ParseSkip reads it back: every
// field that matches everything left out.
func SkipString(cal client.ScheduleCalendarSpec) string {
	if s := calendarString(cal, true); s != "" {
		return s
	}
	return "always"
}

func calendarString(cal client.ScheduleCalendarSpec, skip bool) string {
	var parts []string
	single := func(r []client.ScheduleRange) (int, bool) {
		if len(r) == 0 {
			return 0, !skip // unset: 0 in a calendar
		}
		return r[0].Start, len(r) == 1 && max(r[0].End, r[0].Start) == r[0].Start
	}
	h, okH := single(cal.Hour)
	m, okM := single(cal.Minute)
	sec, okS := single(cal.Second)
	at := okH && okM && okS
	if at {
		clock := fmt.Sprintf("at=%02d:%02d", h, m)
		if sec != 0 {
			clock += fmt.Sprintf(":%02d", sec)
		}
		parts = append(parts, clock)
	}
	for _, f := range calendarFields {
		if at && (f.key == "second" || f.key == "minute" || f.key == "hour") {
			continue
		}
		ranges := *f.get(&cal)
		if len(ranges) == 0 {
			continue
		}
		clockField := f.key == "second" || f.key == "minute" || f.key == "hour"
		if v, ok := single(ranges); !skip && clockField && ok && v == 0 {
			continue // 0 is what a calendar leaves out
		}
		var vals []string
		for _, r := range ranges {
			end, step := max(r.End, r.Start), max(r.Step, 1)
			switch {
			case r.Start == f.lo && end == f.hi && step == 1:
				vals = append(vals, "*")
			case r.Start == f.lo && end == f.hi:
				vals = append(vals, "*/"+strconv.Itoa(step))
			case r.Start == end:
				vals = append(vals, f.name(r.Start))
			default:
				v := f.name(r.Start) + "-" + f.name(end)
				if step > 1 {
					v += "/" + strconv.Itoa(step)
				}
				vals = append(vals, v)
			}
		}
		if len(vals) == 1 && vals[0] == "*" && (skip || !clockField) {
			continue
		}
		parts = append(parts, f.key+"="+strings.Join(vals, ","))
	}
	return strings.Join(parts, " ")
}

func (f calendarField) name(v int) string {
	if i := v - f.lo; f.names != nil && i >= 0 && i < len(f.names) {
		return f.names[i]
	}
	return strconv.Itoa(v)
}

// ValidateScheduleSpec checks what Tempest can check of spec before the
// server sees it: the time zone exists (and is not "Local", which would be
// the server's), intervals are positive whole seconds with an offset
// below them, jitter is not negative, the calendars' values are in range,
// and the window does not end before it starts. Cron expressions are
// parsed by the server on create (nothing is created when one does not
// parse); the tempest CLI parses them first with the server's own parser.
func ValidateScheduleSpec(spec client.ScheduleSpec) error {
	if spec.TimeZoneName != "" {
		if spec.TimeZoneName == "Local" {
			return &ScheduleSpecError{Field: "--timezone", Value: spec.TimeZoneName, Reason: "name an IANA time zone such as Europe/Paris (Local would be the server's)"}
		}
		if _, err := time.LoadLocation(spec.TimeZoneName); err != nil {
			return &ScheduleSpecError{Field: "--timezone", Value: spec.TimeZoneName, Reason: "no such IANA time zone (examples: UTC, Europe/Paris, America/New_York)"}
		}
	}
	for _, iv := range spec.Intervals {
		if err := checkInterval("--every", iv.Every.String(), iv); err != nil {
			return err
		}
	}
	if spec.Jitter < 0 {
		return &ScheduleSpecError{Field: "--jitter", Value: spec.Jitter.String(), Reason: "must not be negative"}
	}
	for _, set := range []struct {
		flag string
		cals []client.ScheduleCalendarSpec
	}{{"--calendar", spec.Calendars}, {"--skip", spec.Skip}} {
		for _, cal := range set.cals {
			if err := checkCalendar(cal); err != nil {
				return &ScheduleSpecError{Field: set.flag, Value: cal.Comment, Reason: err.Error()}
			}
		}
	}
	if !spec.StartAt.IsZero() && !spec.EndAt.IsZero() && spec.EndAt.Before(spec.StartAt) {
		return &ScheduleSpecError{Field: "--end-at", Value: spec.EndAt.Format(time.RFC3339), Reason: "is before --start-at"}
	}
	return nil
}

func checkCalendar(cal client.ScheduleCalendarSpec) error {
	for _, f := range calendarFields {
		for _, r := range *f.get(&cal) {
			if r.Start < f.lo || r.Start > f.hi || r.End > f.hi || r.Step < 0 {
				return fmt.Errorf("%s %d-%d is out of range %d-%d", f.key, r.Start, r.End, f.lo, f.hi)
			}
		}
	}
	return nil
}
