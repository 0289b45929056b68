package workflows

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/experiment"
)

// corpus lists the replay corpus: histories recorded once from real runs of
// the code that was deployed (integration.TestCorpusScenarios with
// TEMPEST_RECORD_CORPUS=1), each pinned by its SHA-256 in
// testdata/corpus.sha256. The corpus is append-only: a history is never
// re-recorded to make a test pass.
func corpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("%d saved histories in testdata/, want the whole corpus", len(files))
	}
	return files
}

func replayer(experimentWorkflow any) worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(experimentWorkflow, workflow.RegisterOptions{Name: ExperimentWorkflowName})
	r.RegisterWorkflowWithOptions(FaultWorkflow, workflow.RegisterOptions{Name: FaultWorkflowName})
	return r
}

// TestReplayCorpus replays every saved history with the current code: a
// change that breaks determinism for running experiments fails here, and
// must go behind a version gate (workflow.GetVersion), not a re-recording.
func TestReplayCorpus(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := replayer(ExperimentWorkflow).ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// TestReplayCorpusCatchesNonDeterminism proves the corpus can fail: the
// same workflow with one extra timer at its start, a deliberately
// non-deterministic edit, must fail to replay every experiment history.
func TestReplayCorpusCatchesNonDeterminism(t *testing.T) {
	edited := func(ctx workflow.Context, exp experiment.Experiment) (experiment.Result, error) {
		if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
			return experiment.Result{}, err
		}
		return ExperimentWorkflow(ctx, exp)
	}
	checked := 0
	for _, f := range corpus(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if isFaultWorkflow(b) {
			continue
		}
		checked++
		if err := replayer(edited).ReplayWorkflowHistoryFromJSONFile(nil, f); err == nil {
			t.Errorf("%s replayed with a non-deterministic edit; the replay test could not catch a broken deploy", f)
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d experiment histories, want the whole corpus", checked)
	}
}

// isFaultWorkflow reports whether a saved history is a FaultWorkflow's.
func isFaultWorkflow(history []byte) bool {
	compact := strings.Join(strings.Fields(string(history)), "")
	return strings.Contains(compact, `"workflowType":{"name":"`+FaultWorkflowName+`"}`)
}

// TestCorpusIsAppendOnly pins every saved history by its SHA-256: a
// history may be added (with its line in testdata/corpus.sha256), never
// changed or removed.
func TestCorpusIsAppendOnly(t *testing.T) {
	sums := map[string]string{}
	mf, err := os.Open("testdata/corpus.sha256")
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	for s := bufio.NewScanner(mf); s.Scan(); {
		fields := strings.Fields(s.Text())
		if len(fields) != 2 {
			continue
		}
		sums[fields[1]] = fields[0]
	}
	files := corpus(t)
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		want, ok := sums[name]
		switch {
		case !ok:
			t.Errorf("%s is not in testdata/corpus.sha256: add its line (sha256sum %s)", name, name)
		case want != hex.EncodeToString(sum[:]):
			t.Errorf("%s changed since it was recorded: the corpus is append-only, record a new history instead", name)
		}
	}
	for name := range sums {
		if !seen[name] {
			t.Errorf("%s was removed from the corpus", name)
		}
	}
}
