package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/starter"
)

// cli runs the tempest binary against one server and task queue.
type cli struct {
	bin, addr, queue string
}

// run runs tempest args and returns its stdout, stderr and exit code.
func (c cli) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append([]string{"--address", c.addr, "--task-queue", c.queue}, args...)
	cmd := exec.CommandContext(ctx, c.bin, argv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("tempest %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// ok runs tempest args, which must succeed, and returns its stdout.
func (c cli) ok(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := c.run(t, args...)
	if code != 0 {
		t.Fatalf("tempest %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// json runs tempest args with -o json and decodes its output into v.
func (c cli) json(t *testing.T, v any, args ...string) {
	t.Helper()
	out := c.ok(t, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("tempest %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// scheduledRuns are the runs `tempest list` shows for schedule.
func (c cli) scheduledRuns(t *testing.T, schedule string) []starter.ListedRun {
	t.Helper()
	var all, out []starter.ListedRun
	c.json(t, &all, "list", "--limit", "200")
	for _, r := range all {
		if r.Schedule == schedule {
			out = append(out, r)
		}
	}
	return out
}

func (c cli) describe(t *testing.T, schedule string) starter.ScheduleDescription {
	t.Helper()
	var d starter.ScheduleDescription
	c.json(t, &d, "schedule", "describe", schedule)
	return d
}

// eventually polls cond every 250ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// writeProbeSpec writes an experiment whose one SOT probe runs argv.
func writeProbeSpec(t *testing.T, dir, name, hypothesis string, argv ...string) string {
	t.Helper()
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	path := filepath.Join(dir, name+".yaml")
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: %s}
spec:
  hypothesis: %q
  probes:
    - name: check
      mode: SOT
      timeout: 20s
      cmd: {command: [%s]}
`, name, hypothesis, strings.Join(quoted, ", "))
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSchedules drives Temporal Schedules through the CLI against the
// embedded server and an in-process worker: runs on an interval show in
// tempest list with their verdicts; trigger; pause; backfill; overlap
// skip; a time zone and freeze windows in the next action times; the spec
// held until update; bad input creates nothing.
func TestSchedules(t *testing.T) {
	bin, _ := binaries(t)
	e := newEnv(t)
	queue := "schedules"
	e.inProcessWorker(t, queue)
	c := cli{bin: bin, addr: e.srv.FrontendAddress(), queue: queue}
	dir := t.TempDir()
	quick := writeProbeSpec(t, dir, "sched-quick", "true holds", "true")

	t.Run("every 2s, listed with verdicts, then paused", func(t *testing.T) {
		c.ok(t, "schedule", "create", "every", quick, "--every", "2s")
		eventually(t, 60*time.Second, "two passed runs of schedule every in tempest list", func() bool {
			n := 0
			for _, r := range c.scheduledRuns(t, "every") {
				if r.Verdict == "Passed" && r.Name == "sched-quick" && r.Score != nil && *r.Score == 100 {
					n++
				}
			}
			return n >= 2
		})
		table := c.ok(t, "list", "--experiment", "sched-quick")
		if !strings.Contains(table, "SCHEDULE") || !strings.Contains(table, "Passed") || !strings.Contains(table, "every") {
			t.Fatalf("tempest list table lacks the scheduled runs:\n%s", table)
		}

		c.ok(t, "schedule", "pause", "every", "--note", "release freeze")
		// An action already due when the pause landed may still start:
		// count from a second after it.
		time.Sleep(time.Second)
		before := c.describe(t, "every")
		if !before.Paused || before.Note != "release freeze" {
			t.Fatalf("after pause: paused %v, note %q", before.Paused, before.Note)
		}
		time.Sleep(7 * time.Second) // three intervals and a margin
		after := c.describe(t, "every")
		if after.Actions != before.Actions {
			t.Fatalf("paused schedule took actions: %d, then %d", before.Actions, after.Actions)
		}
		c.ok(t, "schedule", "unpause", "every", "--note", "freeze over")
		eventually(t, 30*time.Second, "an action after unpause", func() bool { return c.describe(t, "every").Actions > after.Actions })
		c.ok(t, "schedule", "delete", "every")
	})

	t.Run("trigger runs the held spec until update", func(t *testing.T) {
		spec := writeProbeSpec(t, dir, "sched-held", "version one", "true")
		c.ok(t, "schedule", "create", "held", spec, "--cron", "0 0 1 1 *", "--note", "yearly")
		created := c.describe(t, "held")
		data, _ := os.ReadFile(spec)
		if want := starter.SourceOf(spec, data); created.Source != want || created.Created != want {
			t.Fatalf("describe source %+v, created %+v; want %+v", created.Source, created.Created, want)
		}
		writeProbeSpec(t, dir, "sched-held", "version two", "true") // edit the file
		if out := c.ok(t, "schedule", "describe", "held"); !strings.Contains(out, "changed on disk since") {
			t.Fatalf("describe does not say the file changed:\n%s", out)
		}
		hypothesisOfTriggered := func(n int) string {
			c.ok(t, "schedule", "trigger", "held")
			var runs []starter.ListedRun
			eventually(t, 30*time.Second, fmt.Sprintf("triggered run %d passed", n), func() bool {
				runs = c.scheduledRuns(t, "held")
				return len(runs) == n && runs[0].Verdict == "Passed"
			})
			exp, err := starter.Attach(e.c, runs[0].WorkflowID, runs[0].RunID).Experiment(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return exp.Spec.Hypothesis
		}
		if h := hypothesisOfTriggered(1); h != "version one" {
			t.Fatalf("before update the schedule ran %q, want the spec it was created with", h)
		}
		c.ok(t, "schedule", "update", "held", spec)
		data, _ = os.ReadFile(spec)
		if d := c.describe(t, "held"); d.Source != starter.SourceOf(spec, data) || d.Created != created.Source {
			t.Fatalf("after update: source %+v, created %+v", d.Source, d.Created)
		}
		// Triggers one second apart get distinct workflow IDs.
		time.Sleep(1100 * time.Millisecond)
		if h := hypothesisOfTriggered(2); h != "version two" {
			t.Fatalf("after update the schedule ran %q, want the updated spec", h)
		}
		c.ok(t, "schedule", "delete", "held")
	})

	t.Run("a campaign on a schedule", func(t *testing.T) {
		camp := filepath.Join(dir, "camp.yaml")
		step := func(name string) string {
			return fmt.Sprintf(`    - inline:
        metadata: {name: %s}
        spec:
          probes:
            - {name: ok, mode: SOT, timeout: 10s, cmd: {command: ["true"]}}
`, name)
		}
		yaml := "kind: Campaign\nmetadata: {name: sched-camp}\nspec:\n  steps:\n" + step("sched-camp-a") + step("sched-camp-b")
		if err := os.WriteFile(camp, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		c.ok(t, "schedule", "create", "camp", camp, "--cron", "0 0 1 1 *")
		if d := c.describe(t, "camp"); d.Kind != "Campaign" || d.Name != "sched-camp" || d.WorkflowType != starter.CampaignWorkflowName {
			t.Fatalf("describe: kind %q, name %q, workflow %q", d.Kind, d.Name, d.WorkflowType)
		}
		c.ok(t, "schedule", "trigger", "camp")
		var runs []starter.ListedRun
		eventually(t, 60*time.Second, "the campaign and its two experiments passed, listed together", func() bool {
			c.json(t, &runs, "list", "--campaign", "sched-camp")
			passed := 0
			for _, r := range runs {
				if r.Verdict == "Passed" {
					passed++
				}
			}
			return passed == 3
		})
		names := map[string]string{}
		for _, r := range runs {
			names[r.Name] = r.Kind
			if r.Kind == "Campaign" && r.Schedule != "camp" {
				t.Errorf("the campaign's run %s is not marked as started by schedule camp: %q", r.WorkflowID, r.Schedule)
			}
		}
		if names["sched-camp"] != "Campaign" || names["sched-camp-a"] != "Experiment" || names["sched-camp-b"] != "Experiment" {
			t.Fatalf("tempest list --campaign: %v", names)
		}
		c.ok(t, "schedule", "delete", "camp")
	})

	t.Run("backfill takes the window's action times", func(t *testing.T) {
		c.ok(t, "schedule", "create", "backfill", quick, "--every", "1m", "--paused")
		t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Minute)
		c.ok(t, "schedule", "backfill", "backfill", t0.Add(30*time.Second).Format(time.RFC3339), t0.Add(210*time.Second).Format(time.RFC3339))
		var want []string
		for i := 1; i <= 3; i++ {
			want = append(want, "tempest-backfill-"+t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		}
		var got []string
		eventually(t, 60*time.Second, "three backfilled runs passed", func() bool {
			got = got[:0]
			for _, r := range c.scheduledRuns(t, "backfill") {
				if r.Verdict == "Passed" {
					got = append(got, r.WorkflowID)
				}
			}
			return len(got) >= 3
		})
		time.Sleep(2 * time.Second) // none beyond the window follows
		got = got[:0]
		for _, r := range c.scheduledRuns(t, "backfill") {
			got = append(got, r.WorkflowID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("backfilled runs %v, want %v", got, want)
		}
		c.ok(t, "schedule", "delete", "backfill")
	})

	t.Run("overlap skip drops the actions due while a run runs", func(t *testing.T) {
		slow := writeProbeSpec(t, dir, "sched-slow", "sleeping holds", "sleep", "4")
		c.ok(t, "schedule", "create", "slow", slow, "--every", "1s", "--overlap", "skip")
		eventually(t, 60*time.Second, "skipped actions counted", func() bool {
			d := c.describe(t, "slow")
			if len(d.Running) > 1 {
				t.Fatalf("overlap skip let %d runs run at once: %v", len(d.Running), d.Running)
			}
			return d.SkippedOverlap >= 3 && d.Actions >= 1
		})
		c.ok(t, "schedule", "delete", "slow")
		runs := c.scheduledRuns(t, "slow")
		for i := 1; i < len(runs); i++ { // newest first: each started after the one before ended
			if !runs[i].CloseTime.IsZero() && runs[i-1].StartTime.Before(runs[i].CloseTime) {
				t.Fatalf("runs overlap: %s started before %s closed", runs[i-1].WorkflowID, runs[i].WorkflowID)
			}
		}
	})

	t.Run("time zone and freeze windows set the next action times", func(t *testing.T) {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().In(ny)
		freezeFrom := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, ny)
		freezeTo := freezeFrom.AddDate(0, 0, 2)
		c.ok(t, "schedule", "create", "tz", quick, "--cron", "30 9 * * *", "--timezone", "America/New_York",
			"--skip", "dow=sat,sun", "--skip", freezeFrom.Format(time.DateOnly)+".."+freezeTo.Format(time.DateOnly), "--paused")
		d := c.describe(t, "tz")
		var want []time.Time
		for day := time.Date(now.Year(), now.Month(), now.Day(), 9, 30, 0, 0, ny); len(want) < len(d.NextActionTimes); day = day.AddDate(0, 0, 1) {
			weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
			frozen := !day.Before(freezeFrom) && day.Before(freezeTo.AddDate(0, 0, 1))
			if day.After(now) && !weekend && !frozen {
				want = append(want, day)
			}
		}
		if len(d.NextActionTimes) < 5 {
			t.Fatalf("describe gives %d next times, want at least 5", len(d.NextActionTimes))
		}
		for i, got := range d.NextActionTimes {
			if !got.Equal(want[i]) {
				t.Fatalf("next action %d at %s, want %s (09:30 New York, weekdays, not %s..%s)\ngot  %v\nwant %v", i,
					got.In(ny), want[i], freezeFrom.Format(time.DateOnly), freezeTo.Format(time.DateOnly), d.NextActionTimes, want)
			}
		}
		c.ok(t, "schedule", "delete", "tz")
	})

	t.Run("start-at and end-at bound the action times", func(t *testing.T) {
		day := time.Now().UTC().AddDate(0, 0, 2).Truncate(24 * time.Hour)
		c.ok(t, "schedule", "create", "window", quick, "--every", "1h", "--paused", "--catchup-window", "1m",
			"--start-at", day.Format(time.DateOnly), "--end-at", day.Format(time.DateOnly)+" 05:00")
		d := c.describe(t, "window")
		var want []time.Time
		for h := 0; h <= 5; h++ {
			want = append(want, day.Add(time.Duration(h)*time.Hour))
		}
		if !slices.EqualFunc(d.NextActionTimes, want, time.Time.Equal) || d.CatchupWindow != time.Minute {
			t.Fatalf("next action times %v (catchup %s), want %v (1m)", d.NextActionTimes, d.CatchupWindow, want)
		}
		c.ok(t, "schedule", "delete", "window")
	})

	t.Run("pause on failure", func(t *testing.T) {
		failing := writeProbeSpec(t, dir, "sched-failing", "false holds", "false")
		c.ok(t, "schedule", "create", "failing", failing, "--every", "2s", "--pause-on-failure")
		eventually(t, 60*time.Second, "the schedule paused itself after a failed run", func() bool { return c.describe(t, "failing").Paused })
		runs := c.scheduledRuns(t, "failing")
		if len(runs) == 0 || runs[len(runs)-1].Verdict != "Failed" {
			t.Fatalf("runs of the paused schedule: %+v", runs)
		}
		n := c.describe(t, "failing").Actions
		time.Sleep(5 * time.Second) // two intervals and a margin
		if d := c.describe(t, "failing"); d.Actions != n || !d.Paused {
			t.Fatalf("after pausing on failure: %d actions then %d, paused %v", n, d.Actions, d.Paused)
		}
		c.ok(t, "schedule", "delete", "failing")
	})

	t.Run("bad input creates nothing", func(t *testing.T) {
		badSpec := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(badSpec, []byte("kind: Experiment\nmetadata: {name: bad}\nspec:\n  probes:\n    - name: p\n      mode: Sometimes\n      cmd: {command: [\"true\"]}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for i, tc := range []struct {
			args []string
			want string
		}{
			{[]string{quick, "--every", "1m", "--overlap", "sometimes"}, "--overlap"},
			{[]string{quick, "--cron", "61 * * * *"}, "--cron"},
			{[]string{quick, "--cron", "0 9 * * *", "--timezone", "Mars/Olympus_Mons"}, "--timezone"},
			{[]string{quick, "--every", "0"}, "--every"},
			{[]string{quick, "--every", "1m", "--skip", "2027-01-03..2026-12-21"}, "--skip"},
			{[]string{quick, "--calendar", "dow=funday"}, "--calendar"},
			{[]string{quick, "--every", "1m", "--catchup-window", "1s"}, "--catchup-window"},
			{[]string{quick, "--every", "1m", "--start-at", "tomorrow"}, "--start-at"},
			{[]string{quick}, "--cron, --every or --calendar"},
			{[]string{badSpec, "--every", "1m"}, "spec.probes[0].mode"},
		} {
			name := fmt.Sprintf("bad-%d", i)
			out, errOut, code := c.run(t, append([]string{"schedule", "create", name}, tc.args...)...)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code != 2 || !strings.Contains(errOut, tc.want) || len(lines) != 1 {
				t.Errorf("create %v: exit %d, stderr %q; want exit 2 and one line naming %s", tc.args, code, errOut+out, tc.want)
			}
			if _, errOut, code := c.run(t, "schedule", "describe", name); code != 2 || !strings.Contains(errOut, "not found") {
				t.Errorf("create %v created schedule %s: describe exit %d, %s", tc.args, name, code, errOut)
			}
		}
	})
}
