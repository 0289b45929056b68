package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
)

func TestParseWhen(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-12-24T18:00:00Z": time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC),
		"2026-12-24":           time.Date(2026, 12, 24, 0, 0, 0, 0, paris),
		"2026-12-24 18:30":     time.Date(2026, 12, 24, 18, 30, 0, 0, paris),
		"2026-07-01T08:00":     time.Date(2026, 7, 1, 8, 0, 0, 0, paris), // summer time
		"now":                  now,
		"now-7d":               now.AddDate(0, 0, -7),
		"now+90m":              now.Add(90 * time.Minute),
	} {
		got, err := parseWhen(in, paris, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"tomorrow", "now*2", "2026-13-01", "now-"} {
		if _, err := parseWhen(in, paris, now); err == nil {
			t.Errorf("parseWhen(%q) accepted", in)
		}
	}
}

// TestBuildSpecUpdate: on update only the flags given change the spec.
func TestBuildSpecUpdate(t *testing.T) {
	f := &scheduleFlags{}
	cmd := &cobra.Command{}
	addSpecFlags(cmd, f)
	if err := cmd.ParseFlags([]string{"--skip", "none", "--jitter", "1m"}); err != nil {
		t.Fatal(err)
	}
	base := client.ScheduleSpec{
		CronExpressions: []string{"0 3 * * *"}, TimeZoneName: "Europe/Paris",
		Skip: []client.ScheduleCalendarSpec{{Comment: "dow=sat,sun"}},
	}
	got, err := f.buildSpec(cmd, &base)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.CronExpressions) != 1 || got.TimeZoneName != "Europe/Paris" || len(got.Skip) != 0 || got.Jitter != time.Minute {
		t.Fatalf("updated spec %+v", got)
	}

	// On create, a spec needs a time; a bad cron names the flag.
	for args, want := range map[string]string{
		"":                                   "--cron, --every or --calendar",
		"--cron=0 25 * * *":                  `--cron "0 25 * * *"`,
		"--cron=CRON_TZ=Nowhere/X 0 3 * * *": "--cron",
	} {
		f := &scheduleFlags{}
		cmd := &cobra.Command{}
		addSpecFlags(cmd, f)
		var argv []string
		if args != "" {
			argv = []string{args}
		}
		if err := cmd.ParseFlags(argv); err != nil {
			t.Fatal(err)
		}
		if _, err := f.buildSpec(cmd, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("create %q: err %v, want one naming %s", args, err, want)
		}
	}
}
