package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/fault/kube"
)

func newCleanupCommand(g *globalFlags) *cobra.Command {
	var runID string
	cmd := &cobra.Command{
		Use:   "cleanup [--run RUN-ID]",
		Short: "Find what Kubernetes faults left behind (by their run-ID label) and revert it",
		Long: "Finds objects Tempest changed or created, by the tempest.dev/run-id label, and reverts them:\n" +
			"scaled workloads get their recorded replicas back, nodes Tempest cordoned are uncordoned,\n" +
			"partition NetworkPolicies are deleted. Without --run it cleans up after every run.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.kubeconfig == "" {
				return &exitError{code: exitErrored, err: fmt.Errorf("--kubeconfig (or KUBECONFIG) is required")}
			}
			client, _, err := kube.NewClient(g.kubeconfig)
			if err != nil {
				return &exitError{code: exitErrored, err: fmt.Errorf("--kubeconfig %s: %w", g.kubeconfig, err)}
			}
			done, err := kube.Cleanup(cmd.Context(), client, runID)
			for _, line := range done {
				fmt.Fprintln(cmd.OutOrStdout(), "reverted", line)
			}
			if err != nil {
				return &exitError{code: exitErrored, err: fmt.Errorf("cleanup: %w", err)}
			}
			if len(done) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing left behind")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "Temporal run ID of the experiment (default: every run)")
	return cmd
}
