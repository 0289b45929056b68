package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// TestList runs a passing, a failing and a dry-run experiment and checks
// what tempest list and starter.List return for each filter: the runs
// it selects, their verdicts and scores, and that a filter value cannot
// change the query.
func TestList(t *testing.T) {
	bin, _ := binaries(t)
	e := newEnv(t)
	queue := "list"
	e.inProcessWorker(t, queue)
	c := cli{bin: bin, addr: e.srv.FrontendAddress(), queue: queue}

	spec := func(name, probe string, dry bool) experiment.Experiment {
		s := "kind: Experiment\nmetadata: {name: " + name + "}\nspec:\n  probes:\n    - {name: p, mode: SOT, timeout: 10s, cmd: {command: [\"" + probe + "\"]}}\n"
		if dry {
			s += "  safety: {dryRun: true}\n"
		}
		return decode(t, s)
	}
	started := time.Now()
	ids := map[string]string{}
	for _, x := range []struct {
		name, probe string
		dry         bool
	}{{"list-pass", "true", false}, {"list-fail", "false", false}, {"list-dry", "true", true}} {
		run, res := e.runToEnd(t, spec(x.name, x.probe, x.dry), queue, 60*time.Second)
		ids[x.name] = run.ID
		t.Logf("%s: %s", x.name, res.Verdict)
	}

	listed := func(args ...string) []string {
		var runs []starter.ListedRun
		c.json(t, &runs, append([]string{"list"}, args...)...)
		var names []string
		for _, r := range runs {
			names = append(names, r.Name)
		}
		return names
	}
	// Visibility lags the runs' ends a little.
	eventually(t, 30*time.Second, "three closed runs with verdicts listed", func() bool {
		return len(listed("--verdict", "passed"))+len(listed("--verdict", "failed"))+len(listed("--verdict", "dryrun")) == 3
	})
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"list-dry", "list-fail", "list-pass"}},
		{[]string{"--verdict", "Failed"}, []string{"list-fail"}},
		{[]string{"--status", "failed"}, []string{"list-fail"}},
		{[]string{"--status", "completed"}, []string{"list-dry", "list-pass"}},
		{[]string{"--status", "running"}, nil},
		{[]string{"--experiment", "list-pass"}, []string{"list-pass"}},
		{[]string{"--since", "1h"}, []string{"list-dry", "list-fail", "list-pass"}},
		{[]string{"--limit", "1"}, []string{"list-dry"}}, // the newest
		{[]string{"--experiment", "list-pass' OR TempestExperiment = 'list-fail"}, nil},
		{[]string{"--campaign", "none"}, nil},
	} {
		got := listed(tc.args...)
		if len(tc.args) == 0 || tc.args[0] != "--limit" {
			slices.Sort(got)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("tempest list %v = %v, want %v", tc.args, got, tc.want)
		}
	}

	runs, err := starter.List(context.Background(), e.c, starter.ListOptions{StartedAfter: started.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.WorkflowID != ids[r.Name] || r.Kind != "Experiment" || r.CloseTime.IsZero() || r.Duration(time.Now()) <= 0 {
			t.Errorf("listed run %+v", r)
		}
		switch r.Name {
		case "list-pass":
			if r.Verdict != "Passed" || r.Score == nil || *r.Score != 100 {
				t.Errorf("list-pass: verdict %q, score %v", r.Verdict, r.Score)
			}
		case "list-fail":
			if r.Verdict != "Failed" || r.Score == nil || *r.Score != 0 {
				t.Errorf("list-fail: verdict %q, score %v", r.Verdict, r.Score)
			}
		case "list-dry":
			if r.Verdict != "DryRun" || r.Score != nil {
				t.Errorf("list-dry: verdict %q, score %v (a dry run measures nothing)", r.Verdict, r.Score)
			}
		}
	}

	table := c.ok(t, "list")
	for _, want := range []string{"NAME", "WORKFLOW ID", "VERDICT", "SCORE", "DURATION", "list-pass", "100%", ids["list-fail"]} {
		if !strings.Contains(table, want) {
			t.Errorf("tempest list table lacks %q:\n%s", want, table)
		}
	}
	for _, bad := range [][]string{{"--verdict", "green"}, {"--status", "asleep"}, {"--since", "yesterday"}, {"--output", "yaml"}} {
		if _, errOut, code := c.run(t, append([]string{"list"}, bad...)...); code != 2 || !strings.Contains(errOut, bad[0]) {
			t.Errorf("tempest list %v: exit %d, %q; want exit 2 naming %s", bad, code, errOut, bad[0])
		}
	}
}
