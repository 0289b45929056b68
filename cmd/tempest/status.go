package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/starter"
)

// uiURLEnv names the Temporal UI's base URL when --ui-url is not given.
const uiURLEnv = "TEMPORAL_UI_URL"

// addUIURLFlag registers --ui-url on cmd: the base URL of the Temporal
// Web UI for links, needed with --address (the embedded and local dev
// servers' UI is known).
func addUIURLFlag(cmd *cobra.Command, url *string) {
	cmd.Flags().StringVar(url, "ui-url", os.Getenv(uiURLEnv), "base URL of the Temporal Web UI, for links (default $"+uiURLEnv+"; known without it for the embedded or local dev server)")
}

// setUIBase makes url, when set, the session's UI base.
func setUIBase(sess *session, url string) {
	if url != "" {
		sess.uiBase = strings.TrimRight(url, "/")
	}
}

// readStatus reads everything `tempest status` shows of the run id (runID
// empty: the latest). An open run is asked through the status and
// timeline queries (a worker answers them; without one the view says so
// and shows what the server knows); a closed one is read from the server
// alone: its result and the experiment it was started with.
func readStatus(ctx context.Context, c client.Client, id, runID string) (statusInput, error) {
	in, err := pollOnce(ctx, starter.Attach(c, id, runID))
	if err != nil {
		return in, err
	}
	run := starter.Attach(c, in.desc.WorkflowID, in.desc.RunID)
	if exp, err := run.Experiment(ctx); err == nil {
		in.exp = &exp
	}
	if in.desc.Running {
		return in, nil
	}
	res, err := run.Result(ctx)
	switch {
	case err != nil:
		in.resultErr = err
	default:
		in.result = &res
	}
	if n, err := run.HistoryEvents(ctx); err == nil {
		in.events = n
	}
	return in, nil
}

// checkOutput accepts text or json.
func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return &exitError{code: exitErrored, err: fmt.Errorf("--output: want text or json, got %q", output)}
	}
	return nil
}
