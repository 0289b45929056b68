package starter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

func TestParseCalendar(t *testing.T) {
	r := func(lo, hi, step int) client.ScheduleRange {
		return client.ScheduleRange{Start: lo, End: hi, Step: step}
	}
	one := func(v int) []client.ScheduleRange { return []client.ScheduleRange{{Start: v, End: v}} }
	for _, tc := range []struct {
		expr string
		want client.ScheduleCalendarSpec
	}{
		{"dow=mon-fri at=09:30", client.ScheduleCalendarSpec{
			Second: one(0), Minute: one(30), Hour: one(9),
			DayOfMonth: []client.ScheduleRange{r(1, 31, 0)}, Month: []client.ScheduleRange{r(1, 12, 0)}, DayOfWeek: []client.ScheduleRange{r(1, 5, 0)},
		}},
		{"day=1,15 hour=3 month=jan-mar", client.ScheduleCalendarSpec{
			Second: []client.ScheduleRange{{Start: 0}}, Minute: []client.ScheduleRange{{Start: 0}}, Hour: one(3),
			DayOfMonth: append(one(1), one(15)...), Month: []client.ScheduleRange{r(1, 3, 0)}, DayOfWeek: []client.ScheduleRange{r(0, 6, 0)},
		}},
		{"minute=*/15 hour=8-18/2 year=2027 dow=sun", client.ScheduleCalendarSpec{
			Second: []client.ScheduleRange{{Start: 0}}, Minute: []client.ScheduleRange{r(0, 59, 15)}, Hour: []client.ScheduleRange{r(8, 18, 2)},
			DayOfMonth: []client.ScheduleRange{r(1, 31, 0)}, Month: []client.ScheduleRange{r(1, 12, 0)}, Year: one(2027), DayOfWeek: one(0),
		}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := ParseCalendar(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Comment = tc.expr
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			back, err := ParseCalendar(CalendarString(got))
			if err != nil {
				t.Fatalf("CalendarString %q does not parse back: %v", CalendarString(got), err)
			}
			back.Comment = got.Comment
			if !reflect.DeepEqual(back, got) {
				t.Fatalf("CalendarString %q reads back as %+v", CalendarString(got), back)
			}
		})
	}
}

func TestParseSkip(t *testing.T) {
	all := func(lo, hi int) []client.ScheduleRange { return []client.ScheduleRange{{Start: lo, End: hi}} }
	got, err := ParseSkip("dow=sat,sun")
	if err != nil {
		t.Fatal(err)
	}
	want := client.ScheduleCalendarSpec{Second: all(0, 59), Minute: all(0, 59), Hour: all(0, 23), DayOfMonth: all(1, 31), Month: all(1, 12),
		DayOfWeek: []client.ScheduleRange{{Start: 6, End: 6}, {Start: 0, End: 0}}, Comment: "dow=sat,sun"}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("weekends: got %+v", got)
	}
	if s := SkipString(got[0]); s != "dow=sat,sun" {
		t.Fatalf("SkipString = %q", s)
	}

	// A window across a year's end: one calendar per month.
	got, err = ParseSkip("2026-12-21..2027-01-03")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d calendars, want 2: %+v", len(got), got)
	}
	for i, w := range []struct{ year, month, from, to int }{{2026, 12, 21, 31}, {2027, 1, 1, 3}} {
		c := got[i]
		if c.Year[0].Start != w.year || c.Month[0].Start != w.month || c.DayOfMonth[0].Start != w.from || c.DayOfMonth[0].End != w.to ||
			!reflect.DeepEqual(c.Hour, all(0, 23)) || !reflect.DeepEqual(c.Second, all(0, 59)) {
			t.Fatalf("calendar %d = %+v, want %d-%02d-%02d..%02d all day", i, c, w.year, w.month, w.from, w.to)
		}
	}
	if one, err := ParseSkip("2027-02-28"); err != nil || len(one) != 1 || one[0].DayOfMonth[0] != (client.ScheduleRange{Start: 28, End: 28}) {
		t.Fatalf("one day: %+v, %v", one, err)
	}
}

func TestScheduleSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		name, field, want string
		err               func() error
	}{
		{"every zero", "--every", "at least 1s", func() error { _, err := ParseInterval("0s"); return err }},
		{"every garbage", "--every", "invalid duration", func() error { _, err := ParseInterval("often"); return err }},
		{"offset too big", "--every", "less than the interval", func() error { _, err := ParseInterval("1h/2h"); return err }},
		{"overlap unknown", "--overlap", "want skip, buffer-one", func() error { _, err := ParseOverlap("sometimes"); return err }},
		{"overlap terminate", "--overlap", "cannot revert", func() error { _, err := ParseOverlap("terminate-other"); return err }},
		{"calendar key", "--calendar", "unknown key", func() error { _, err := ParseCalendar("weekday=mon fortnight=2"); return err }},
		{"calendar range", "--calendar", "want 0-23", func() error { _, err := ParseCalendar("hour=24"); return err }},
		{"calendar backwards", "--calendar", "ends before", func() error { _, err := ParseCalendar("dow=fri-mon"); return err }},
		{"calendar at twice", "--calendar", "set twice", func() error { _, err := ParseCalendar("at=09:00 hour=3"); return err }},
		{"skip window backwards", "--skip", "ends before", func() error { _, err := ParseSkip("2027-01-03..2026-12-21"); return err }},
		{"skip bad date", "--skip", "YYYY-MM-DD", func() error { _, err := ParseSkip("2027-13-01"); return err }},
		{"timezone", "--timezone", "no such IANA time zone", func() error {
			return ValidateScheduleSpec(client.ScheduleSpec{TimeZoneName: "Mars/Olympus_Mons"})
		}},
		{"timezone local", "--timezone", "IANA", func() error { return ValidateScheduleSpec(client.ScheduleSpec{TimeZoneName: "Local"}) }},
		{"end before start", "--end-at", "before --start-at", func() error {
			now := time.Now()
			return ValidateScheduleSpec(client.ScheduleSpec{StartAt: now, EndAt: now.Add(-time.Hour)})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			var se *ScheduleSpecError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *ScheduleSpecError", err)
			}
			if se.Field != tc.field || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %q (field %s), want one line on %s containing %q", err, se.Field, tc.field, tc.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "2s": 2 * time.Second} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "7x", "-1d", "1.5d"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
	if iv, err := ParseInterval("1d/3h"); err != nil || iv.Every != 24*time.Hour || iv.Offset != 3*time.Hour {
		t.Errorf("ParseInterval(1d/3h) = %+v, %v", iv, err)
	}
}
