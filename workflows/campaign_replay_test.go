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

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The campaign replay corpus: histories of real campaigns in
// testdata/campaign, recorded once by integration's campaign tests with
// TEMPEST_RECORD_CORPUS=1 (see testdata/README.md) and pinned by
// testdata/campaign/corpus.sha256, replayed with the current code.

func campaignCorpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/campaign/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("%d campaign histories in testdata/campaign, want the whole corpus", len(files))
	}
	return files
}

func campaignReplayer(campaign any) worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(campaign, workflow.RegisterOptions{Name: CampaignWorkflowName})
	return r
}

func TestReplayCampaignCorpus(t *testing.T) {
	for _, f := range campaignCorpus(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := replayCampaignFile(t, campaignReplayer(CampaignWorkflow), f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// TestReplayCampaignCorpusCatchesNonDeterminism: one extra timer at the
// start must fail every first segment's replay.
func TestReplayCampaignCorpusCatchesNonDeterminism(t *testing.T) {
	edited := func(ctx workflow.Context, in CampaignInput) (any, error) {
		if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
			return nil, err
		}
		return CampaignWorkflow(ctx, in)
	}
	for _, f := range campaignCorpus(t) {
		if err := replayCampaignFile(t, campaignReplayer(edited), f); err == nil {
			t.Errorf("%s replayed with a non-deterministic edit", f)
		}
	}
}

// TestCampaignCorpusIsAppendOnly pins every campaign history by SHA-256.
func TestCampaignCorpusIsAppendOnly(t *testing.T) {
	sums := map[string]string{}
	mf, err := os.Open("testdata/campaign/corpus.sha256")
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	for s := bufio.NewScanner(mf); s.Scan(); {
		if fields := strings.Fields(s.Text()); len(fields) == 2 {
			sums[fields[1]] = fields[0]
		}
	}
	seen := map[string]bool{}
	for _, f := range campaignCorpus(t) {
		name := filepath.Base(f)
		seen[name] = true
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		switch want, ok := sums[name]; {
		case !ok:
			t.Errorf("%s is not in testdata/campaign/corpus.sha256", name)
		case want != hex.EncodeToString(sum[:]):
			t.Errorf("%s changed since it was recorded: the corpus is append-only", name)
		}
	}
	for name := range sums {
		if !seen[name] {
			t.Errorf("%s was removed from the campaign corpus", name)
		}
	}
}

// replayCampaignFile replays a saved campaign segment under its original
// workflow ID (its children's IDs derive from it), read from the ID of
// its first child.
func replayCampaignFile(t *testing.T, r worker.WorkflowReplayer, path string) error {
	t.Helper()
	h := readHistoryFile(t, path)
	id := "unknown"
	for _, ev := range h.GetEvents() {
		if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
			id = a.GetWorkflowId()[:strings.LastIndex(a.GetWorkflowId(), ".s")]
			break
		}
	}
	return r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}})
}

// readHistoryFile reads a history saved as JSON.
func readHistoryFile(t *testing.T, path string) *historypb.History {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return h
}
