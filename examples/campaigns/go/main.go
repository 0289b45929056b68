// Command go runs a campaign from Go: two no-op experiments, the second
// behind an approval gate that this program answers, with a note, then
// prints every step's verdict. It needs a Temporal server with a Tempest
// worker: `tempest dev` in another terminal (or TEMPORAL_ADDRESS).
//
//	go run ./examples/campaigns/go
//
// A campaign file is loaded the same way `tempest run` does it:
// experiment.LoadCampaign("examples/campaigns/game-day.yaml") reads the
// experiment files of its steps and embeds them.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
)

// noop is an experiment that only checks that `true` succeeds.
func noop(name string) *experiment.Experiment {
	return &experiment.Experiment{
		Kind:     experiment.KindExperiment,
		Metadata: experiment.Metadata{Name: name},
		Spec: experiment.Spec{Probes: []experiment.Probe{{
			Name: "ok", Mode: experiment.ModeSOT, Cmd: &experiment.CmdProbe{Command: []string{"true"}},
		}}},
	}
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	addr := os.Getenv("TEMPORAL_ADDRESS")
	if addr == "" {
		addr = "127.0.0.1:7233"
	}
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	camp := experiment.Campaign{
		Kind:     experiment.KindCampaign,
		Metadata: experiment.Metadata{Name: "go-example"},
		Spec: experiment.CampaignSpec{Steps: []experiment.CampaignStep{
			{Inline: noop("first")},
			{Inline: noop("second"), Approval: &experiment.Approval{Prompt: "run the second?", Timeout: experiment.Duration(time.Minute)}},
		}},
	}
	k, err := starter.StartCampaign(ctx, c, camp, starter.Options{})
	if err != nil {
		log.Fatal(err) // an invalid campaign: nothing was started
	}
	fmt.Println("started", k.ID)

	// Wait for the gate, then approve it (a person would run
	// `tempest approve ID`; either answer counts, whichever comes first).
	for {
		st, err := k.Status(ctx)
		if err == nil && st.Pending != nil {
			fmt.Printf("step %d waits: %s\n", st.Pending.Step+1, st.Pending.Prompt)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if _, err := k.Note(ctx, "first step looked fine", "go-example"); err != nil {
		log.Fatal(err)
	}
	msg, err := k.Approve(ctx, 0, "go-example")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg)

	st, err := k.Result(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verdict:", st.Verdict)
	for i, s := range st.Steps {
		fmt.Printf("  step %d %s: %s, score %.0f%%\n", i+1, s.Name, s.Verdict, s.ResilienceScore)
	}
}
