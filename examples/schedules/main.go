// Command schedules shows Tempest's schedules from Go (package starter):
// it creates a schedule that runs an experiment at 09:30 on weekdays in a
// time zone, outside a freeze window; triggers it once; waits for that
// run's verdict in starter.List; describes the schedule (next action
// times, actions, the file version it holds); and deletes it.
//
//	tempest dev &               # a server and a worker on 127.0.0.1:7233
//	go run ./examples/schedules # -address, -file, -name, -keep
//
// The CLI does the same with `tempest schedule create NAME FILE --calendar
// "dow=mon-fri at=09:30" --timezone Europe/Paris --skip 2026-12-24..2026-12-26`.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

func main() {
	address := flag.String("address", "127.0.0.1:7233", "Temporal frontend")
	cfg := config{Queue: "tempest"}
	flag.StringVar(&cfg.File, "file", "examples/schedules/smoke.yaml", "experiment file")
	flag.StringVar(&cfg.Name, "name", "example-smoke", "schedule name")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the schedule instead of deleting it")
	flag.Parse()
	c, err := client.Dial(client.Options{HostPort: *address})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, c, cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// config says what run schedules.
type config struct {
	File, Name, Queue string
	// Params are the values of the spec's ${NAME} parameters (the
	// environment gives the others).
	Params map[string]string
	Keep   bool
}

func run(ctx context.Context, c client.Client, cfg config, w io.Writer) error {
	// Read, resolve and check the spec as tempest run does. The schedule
	// holds this decoded spec: editing the file later changes nothing
	// until the schedule is updated.
	data, err := os.ReadFile(cfg.File)
	if err != nil {
		return err
	}
	resolved, _, _, err := experiment.ResolveParams(data, experiment.Params{Set: cfg.Params, Env: os.LookupEnv})
	if err != nil {
		return err
	}
	exp, err := experiment.Decode(cfg.File, resolved)
	if err != nil {
		return err
	}
	action, err := starter.ExperimentAction(*exp)
	if err != nil {
		return err
	}

	// When: 09:30 on weekdays in Paris, not over Christmas 2026.
	weekdays, err := starter.ParseCalendar("dow=mon-fri at=09:30")
	if err != nil {
		return err
	}
	freeze, err := starter.ParseSkip("2026-12-24..2026-12-26")
	if err != nil {
		return err
	}
	s, err := starter.CreateSchedule(ctx, c, action, starter.ScheduleOptions{
		ID: cfg.Name,
		Spec: client.ScheduleSpec{
			Calendars:    []client.ScheduleCalendarSpec{weekdays},
			Skip:         freeze,
			TimeZoneName: "Europe/Paris",
			Jitter:       time.Minute,
		},
		Overlap:   starter.OverlapSkip,
		TaskQueue: cfg.Queue,
		Source:    starter.SourceOf(cfg.File, data),
		Note:      "created by examples/schedules",
	})
	if err != nil {
		return err
	}
	if !cfg.Keep {
		defer func() { _ = s.Delete(context.WithoutCancel(ctx)) }()
	}
	fmt.Fprintf(w, "schedule %s created for experiment %s\n", s.ID, action.Name())

	// Run it once now, and wait for the run's verdict.
	if err := s.Trigger(ctx, ""); err != nil {
		return err
	}
	for {
		runs, err := starter.List(ctx, c, starter.ListOptions{Experiment: action.Name(), Limit: 20})
		if err != nil {
			return err
		}
		done := false
		for _, r := range runs {
			if r.Schedule == s.ID && r.Verdict != "" {
				fmt.Fprintf(w, "run %s: %s\n", r.WorkflowID, r.Verdict)
				done = true
				break
			}
		}
		if done {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no verdict yet: is a worker polling task queue %s? %w", cfg.Queue, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}

	d, err := s.Describe(ctx)
	if err != nil {
		return err
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	fmt.Fprintf(w, "actions taken: %d, skipped: %d; holds %s (sha256 %.12s)\n", d.Actions, d.SkippedOverlap, d.Source.Path, d.Source.SHA256)
	for _, t := range d.NextActionTimes[:min(3, len(d.NextActionTimes))] {
		fmt.Fprintf(w, "next: %s\n", t.In(paris).Format("Mon 2006-01-02 15:04 MST"))
	}
	return nil
}
