package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

func TestLoadCampaignErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	doc := "kind: Campaign\nmetadata: {name: c}\nspec:\n  steps:\n    - experiment: missing.yaml\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if !isCampaignFile(path) {
		t.Fatal("not recognised as a campaign")
	}
	_, err := loadCampaign(path)
	want := path + ": spec.steps[0].experiment: cannot read missing.yaml: no such file or directory (line 5)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	if isCampaignFile("../../examples/process-kill.yaml") {
		t.Error("an experiment taken for a campaign")
	}
}

func TestWriteCampaignStatus(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	st := experiment.CampaignStatus{Campaign: "c", State: experiment.CampaignWaiting,
		Pending: &experiment.PendingApproval{Step: 1, Name: "two", Prompt: "go?", Deadline: at, OnTimeout: experiment.ApprovalSkip},
		Steps: []experiment.CampaignStepStatus{
			{Name: "one", State: experiment.StepDone, Verdict: experiment.VerdictPassed, ResilienceScore: 100, Runs: make([]experiment.CampaignRun, 1)},
			{Name: "two", State: experiment.StepWaiting},
		},
		Notes: []experiment.CampaignNote{{At: at, By: "ana", Text: "fine", Step: 1}},
	}
	var b bytes.Buffer
	writeCampaignStatus(&b, "id", st)
	for _, want := range []string{
		"campaign c (id): WaitingApproval",
		"waiting for approval: step 2 two until 2026-12-02T10:00:00Z (then skip): go?",
		"1     one   Done             Passed   100%   1",
		"note at step 2, 2026-12-02T10:00:00Z by ana: fine",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
}
