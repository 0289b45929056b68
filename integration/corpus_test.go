package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/workflows"
)

// corpusScenario is one experiment of the replay corpus: how to run it and
// the verdict it must reach.
type corpusScenario struct {
	name string
	spec func(tg target) string
	// during acts on the running experiment (abort, cancel); nil: none.
	during func(t *testing.T, e env, run *starter.Run)
	// raw, when set, starts the spec after raw changed it, without the
	// starter's validation (as a start from the Temporal UI would).
	raw  func(*experiment.Experiment)
	want experiment.Verdict
}

const corpusPause = `kind: Experiment
metadata: {name: corpus-%s}
spec:
  faults:
    - name: pause-target
      startAfter: 1s
      duration: %s
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: serving-before
      mode: SOT
      http: {url: "http://%s/healthz"}
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 6
      http: {url: "http://%s/healthz"}
`

func corpusPauseSpec(name, hold string) func(target) string {
	return func(tg target) string { return fmt.Sprintf(corpusPause, name, hold, tg.port, tg.addr, tg.addr) }
}

// whileInjected runs act once the fault is in place.
func whileInjected(act func(ctx context.Context, e env, run *starter.Run) error) func(*testing.T, env, *starter.Run) {
	return func(t *testing.T, e env, run *starter.Run) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		waitFor(t, 45*time.Second, "the fault to be injected", func() bool {
			st, err := run.Status(ctx)
			return err == nil && len(st.ActiveFaults) > 0
		})
		if err := act(ctx, e, run); err != nil {
			t.Fatal(err)
		}
	}
}

func corpusScenarios() []corpusScenario {
	return []corpusScenario{
		{name: "pause-passed", spec: corpusPauseSpec("pause-passed", "2s"), want: experiment.VerdictPassed},
		{name: "kill-no-restart-failed", spec: func(tg target) string { return killSpec(tg, time.Second, nil) }, want: experiment.VerdictFailed},
		{name: "abort-update-mid-hold", spec: corpusPauseSpec("abort-update", "60s"), want: experiment.VerdictAborted,
			during: whileInjected(func(ctx context.Context, e env, run *starter.Run) error {
				_, err := run.Abort(ctx, "corpus: abort mid-hold")
				return err
			})},
		{name: "abort-signal-mid-hold", spec: corpusPauseSpec("abort-signal", "60s"), want: experiment.VerdictAborted,
			during: whileInjected(func(ctx context.Context, e env, run *starter.Run) error {
				return e.c.SignalWorkflow(ctx, run.ID, run.RunID, workflows.SignalAbort, "corpus: signal mid-hold")
			})},
		{name: "cancel-mid-hold", spec: corpusPauseSpec("cancel", "60s"), want: experiment.VerdictAborted,
			during: whileInjected(func(ctx context.Context, e env, run *starter.Run) error {
				return e.c.CancelWorkflow(ctx, run.ID, run.RunID)
			})},
		{name: "stop-on-failure-breach", want: experiment.VerdictFailed, spec: func(tg target) string {
			return fmt.Sprintf(`kind: Experiment
metadata: {name: corpus-breach}
spec:
  faults:
    - name: kill-target
      startAfter: 2s
      duration: 20s
      process: {selector: {port: %d}}
  probes:
    - name: serving
      mode: Continuous
      interval: 500ms
      timeout: 1s
      stopOnFailure: true
      http: {url: "http://%s/healthz"}
`, tg.port, tg.addr)
		}},
		{name: "load-and-watchers", want: experiment.VerdictFailed, spec: func(tg target) string {
			return fmt.Sprintf(`kind: Experiment
metadata: {name: corpus-load}
spec:
  faults:
    - name: pause-target
      startAfter: 2s
      duration: 2s
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: tcp-open
      mode: Continuous
      interval: 500ms
      timeout: 1s
      tcp: {address: "%s"}
    - name: down-while-paused
      mode: OnChaos
      interval: 500ms
      timeout: 300ms
      http: {url: "http://%s/healthz"}
  load:
    rate: 50/s
    duration: 6s
    timeout: 500ms
    targets:
      - url: http://%s/
    thresholds:
      "http_req_failed{phase:baseline}": ["rate<0.01"]
      "http_req_failed{phase:chaos}": ["rate<0.01"]
`, tg.port, tg.addr, tg.addr, tg.addr)
		}},
		{name: "revert-failed", want: experiment.VerdictErrored, spec: func(tg target) string {
			return fmt.Sprintf(`kind: Experiment
metadata: {name: corpus-revert-failed}
spec:
  faults:
    - name: kill-target
      duration: 1s
      process:
        selector: {port: %d}
        restart: ["/bin/false"]
        restartTimeout: 3s
  rollback: {attemptTimeout: 5s, deadline: 12s}
`, tg.port)
		}},
		{name: "sot-failed", want: experiment.VerdictFailed, spec: func(tg target) string {
			return fmt.Sprintf(`kind: Experiment
metadata: {name: corpus-sot-failed}
spec:
  faults:
    - name: pause-target
      duration: 2s
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: nothing-listens
      mode: SOT
      timeout: 500ms
      tcp: {address: "127.0.0.1:1"}
`, tg.port)
		}},
		{name: "dry-run", want: experiment.VerdictDryRun, spec: func(tg target) string {
			return fmt.Sprintf(`kind: Experiment
metadata: {name: corpus-dry-run}
spec:
  safety: {dryRun: true}
  faults:
    - name: pause-target
      duration: 2s
      process: {selector: {port: %d}, action: pause}
`, tg.port)
		}},
		{name: "repeating-with-probes", want: experiment.VerdictPassed, spec: func(tg target) string {
			return fmt.Sprintf(`kind: Experiment
metadata: {name: corpus-repeating}
spec:
  faults:
    - name: pause-target
      duration: 6s
      interval: 2s
      hold: 1s
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: tcp-open
      mode: Continuous
      interval: 500ms
      timeout: 1s
      tcp: {address: "%s"}
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 6
      http: {url: "http://%s/healthz"}
`, tg.port, tg.addr, tg.addr)
		}},
		{name: "invalid-raw-start", want: experiment.VerdictErrored,
			raw: func(exp *experiment.Experiment) { exp.Spec.Faults[0].Duration = 0 },
			spec: func(tg target) string {
				return fmt.Sprintf(`kind: Experiment
metadata: {name: corpus-invalid}
spec:
  faults:
    - name: pause-target
      duration: 2s
      process: {selector: {port: %d}, action: pause}
`, tg.port)
			}},
	}
}

// TestCorpusScenarios runs every scenario of the replay corpus against the
// current code, checks its verdict and replays its history. With
// TEMPEST_RECORD_CORPUS=1 it also saves each history (and its fault
// workflows') to workflows/testdata as <prefix><scenario>.json, where
// prefix is TEMPEST_CORPUS_PREFIX, but never over an existing file: the
// corpus is append-only, recorded once by the code that was deployed.
func TestCorpusScenarios(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-corpus"
	e.inProcessWorker(t, queue)
	for _, sc := range corpusScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			tg := startTarget(t, targetBin)
			exp := decode(t, sc.spec(tg))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var run *starter.Run
			if sc.raw != nil {
				sc.raw(&exp)
				we, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "corpus-" + sc.name + "-" + fmt.Sprint(time.Now().UnixNano()), TaskQueue: queue}, workflows.ExperimentWorkflowName, exp)
				if err != nil {
					t.Fatal(err)
				}
				run = starter.Attach(e.c, we.GetID(), we.GetRunID())
			} else {
				var err error
				if run, err = starter.Start(ctx, e.c, exp, starter.Options{TaskQueue: queue}); err != nil {
					t.Fatal(err)
				}
			}
			if sc.during != nil {
				sc.during(t, e, run)
			}
			res, err := run.Result(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != sc.want {
				t.Fatalf("verdict %s, want %s; reasons %v", res.Verdict, sc.want, res.Reasons)
			}
			histories := map[string]*historypb.History{sc.name: fetchHistory(t, e.c, run.ID, run.RunID)}
			for fi := range exp.Spec.Faults {
				if exp.Spec.Faults[fi].Injections() < 2 {
					continue
				}
				id := workflows.FaultWorkflowID(exp.Metadata.Name, run.RunID, fi)
				for i, runID := range faultWorkflowRuns(t, e.c, id) {
					histories[fmt.Sprintf("%s-fault-%d-run-%d", sc.name, fi, i)] = fetchHistory(t, e.c, id, runID)
				}
			}
			for name, h := range histories {
				replay(t, h)
				saveCorpus(t, name, h)
			}
		})
	}
}

// faultWorkflowRuns lists the run IDs of workflow id, oldest first.
func faultWorkflowRuns(t *testing.T, c client.Client, id string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var runs []string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = %q", id), NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range resp.GetExecutions() {
			if ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				t.Fatalf("fault workflow %s still running", id)
			}
			runs = append([]string{ex.GetExecution().GetRunId()}, runs...)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return runs
		}
	}
}

func saveCorpus(t *testing.T, name string, h *historypb.History) {
	t.Helper()
	if os.Getenv("TEMPEST_RECORD_CORPUS") == "" {
		return
	}
	path := filepath.Join("..", "workflows", "testdata", os.Getenv("TEMPEST_CORPUS_PREFIX")+name+".json")
	b, err := protojson.MarshalOptions{Indent: " "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("the corpus is append-only: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}
