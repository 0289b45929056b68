package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCommand() *cobra.Command {
	var set []string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check experiment files; print every problem with its field and line",
		Example: `  tempest validate examples/process-kill.yaml
  tempest validate experiments/*.yaml
  tempest validate --set PORT=18081 --set HOST=10.0.0.7 spec.yaml   # the spec's ${PORT} and ${HOST}`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				load := func() error { _, err := loadSpec(path, set, cmd.OutOrStdout(), cmd.ErrOrStderr()); return err }
				if isCampaignFile(path) {
					load = func() error { _, err := loadCampaign(path); return err }
				}
				if err := load(); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					bad++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", path)
			}
			if bad > 0 {
				return &exitError{code: exitErrored, err: fmt.Errorf("%d of %d files invalid", bad, len(args))}
			}
			return nil
		},
	}
	addSetFlag(cmd, &set)
	return cmd
}
