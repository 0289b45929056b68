package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// TestExample runs the example against an embedded server and worker: the
// triggered run passes, the next times are weekday mornings in Paris, and
// the schedule is gone afterwards.
func TestExample(t *testing.T) {
	srv, c := devtest.Start(t)
	workertest.Start(t, c, "example-schedules", worker.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, c, config{File: "smoke.yaml", Name: "example", Queue: "example-schedules",
		Params: map[string]string{"FRONTEND": srv.FrontendAddress()}}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, ": Passed\n") || !strings.Contains(text, "actions taken: 1") {
		t.Fatalf("output:\n%s", text)
	}
	nexts := 0
	for _, line := range strings.Split(text, "\n") {
		if when, ok := strings.CutPrefix(line, "next: "); ok {
			nexts++
			if strings.HasPrefix(when, "Sat") || strings.HasPrefix(when, "Sun") || !strings.Contains(when, " 09:3") ||
				strings.Contains(when, "2026-12-24") || strings.Contains(when, "2026-12-25") || strings.Contains(when, "2026-12-26") {
				t.Errorf("next action %q: want a weekday 09:30 in Paris outside the freeze", when)
			}
		}
	}
	if nexts != 3 {
		t.Fatalf("%d next times, want 3:\n%s", nexts, text)
	}
	var nf *starter.ScheduleNotFoundError
	if _, err := starter.GetSchedule(ctx, c, "example").Describe(ctx); !errors.As(err, &nf) {
		t.Fatalf("the example's schedule was not deleted: %v", err)
	}
}
