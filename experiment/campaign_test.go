package experiment

import (
	"strings"
	"testing"
)

func TestLoadCampaignResolvesFiles(t *testing.T) {
	c, err := LoadCampaign("testdata/campaign/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Resolved() {
		t.Fatal("a loaded campaign must have every experiment inline")
	}
	s := c.Spec
	if got := s.Steps[0].Inline.Metadata.Name; got != "probe-only" || s.Steps[0].Experiment != "" {
		t.Errorf("step 0 = %q %q, want the file's experiment embedded", got, s.Steps[0].Experiment)
	}
	if got := s.Steps[1].Parallel[1].Inline.Kind; got != KindExperiment {
		t.Errorf("inline kind = %q, want the default %q", got, KindExperiment)
	}
	if g := s.Guards[0]; g.Mode != ModeContinuous || !g.StopOnFailure {
		t.Errorf("guard = %+v, want Continuous and stopOnFailure by default", g)
	}
	if s.Steps[1].Approval.OnTimeout != ApprovalSkip || s.StopsOnFailure(1) || !s.StopsOnFailure(0) {
		t.Errorf("defaults: onTimeout %q, stops %v %v", s.Steps[1].Approval.OnTimeout, s.StopsOnFailure(0), s.StopsOnFailure(1))
	}
	if got := s.StepName(0) + "," + s.StepName(1); got != "probe-only,together" {
		t.Errorf("step names = %s", got)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("a resolved campaign must validate: %v", err)
	}
}

func TestDocumentKind(t *testing.T) {
	for doc, want := range map[string]string{"kind: Campaign\n": "Campaign", "kind: Experiment": "Experiment", "a: 1": "", "[1]": ""} {
		if got, err := DocumentKind([]byte(doc)); err != nil || got != want {
			t.Errorf("DocumentKind(%q) = %q, %v; want %q", doc, got, err, want)
		}
	}
	// Decode of experiments is unchanged: a campaign is not an experiment.
	if _, err := Decode("x", []byte("kind: Campaign\nmetadata: {name: x}\nspec: {probes: [{name: a, mode: SOT, cmd: {command: [\"true\"]}}]}\n")); err == nil ||
		!strings.Contains(err.Error(), `unknown kind "Campaign"`) {
		t.Errorf("Decode of a campaign = %v", err)
	}
}

// TestCampaignBadInput: each bad campaign is one line naming the field
// path and the line.
func TestCampaignBadInput(t *testing.T) {
	const head = "kind: Campaign\nmetadata:\n  name: c\nspec:\n"
	for _, tc := range []struct {
		name, file, doc, want string
	}{
		{name: "missing file", file: "testdata/campaign/missing.yaml",
			want: "spec.steps[1].experiment: cannot read nowhere.yaml: no such file or directory (line 7)"},
		{name: "self", file: "testdata/campaign/self.yaml",
			want: "spec.steps[1].experiment: ./self.yaml is this campaign itself: a cycle (line 7)"},
		{name: "nested campaign", file: "testdata/campaign/nested.yaml",
			want: "spec.steps[0].experiment: good.yaml is a campaign: a step runs an experiment, campaigns do not nest (line 6)"},
		{name: "approval timeout zero", doc: head + "  steps:\n    - experiment: a.yaml\n      approval:\n        timeout: 0s\n",
			want: "spec.steps[0].approval.timeout: must be > 0: how long to wait for an answer (line 8)"},
		{name: "approval without timeout", doc: head + "  steps:\n    - experiment: a.yaml\n      approval:\n        prompt: ok?\n",
			want: "spec.steps[0].approval.timeout: must be > 0: how long to wait for an answer (line 7)"},
		{name: "onTimeout", doc: head + "  steps:\n    - experiment: a.yaml\n      approval:\n        timeout: 1m\n        onTimeout: wait\n",
			want: `spec.steps[0].approval.onTimeout: unknown value "wait": must be one of skip, stop (line 9)`},
		{name: "two kinds", doc: head + "  steps:\n    - experiment: a.yaml\n      parallel:\n        - experiment: b.yaml\n",
			want: "spec.steps[0]: must set exactly one of experiment, inline, parallel, but 2 are set (line 6)"},
		{name: "no steps", doc: head + "  description: x\n",
			want: "spec.steps: required: at least one step (line 4)"},
		{name: "repeat both", doc: head + "  steps:\n    - experiment: a.yaml\n      repeat: {count: 2, until: 1h}\n",
			want: "spec.steps[0].repeat: must set exactly one of count, until, but 2 are set (line 7)"},
		{name: "inline invalid", doc: head + "  steps:\n    - inline:\n        metadata: {name: x}\n        spec:\n          probes:\n            - name: p\n              mode: Sometimes\n              cmd: {command: [\"true\"]}\n",
			want: `spec.steps[0].inline.spec.probes[0].mode: unknown value "Sometimes"`},
		{name: "guard mode", doc: head + "  guards:\n    - name: g\n      mode: SOT\n      cmd: {command: [\"true\"]}\n  steps:\n    - experiment: a.yaml\n",
			want: "spec.guards[0].mode: a guard watches the whole campaign: mode must be Continuous, not SOT (line 7)"},
		{name: "unknown field", doc: head + "  steps:\n    - experiment: a.yaml\n      cooldwn: 1s\n",
			want: "spec.steps[0].cooldwn: unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.file != "" {
				_, err = LoadCampaign(tc.file)
			} else {
				_, err = DecodeCampaign("c.yaml", []byte(tc.doc))
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) {
				t.Errorf("error = %q, want one line containing %q", msg, tc.want)
			}
		})
	}
}
