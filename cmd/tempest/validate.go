package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/worker"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check experiment files; print every problem with its field and line",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				if _, err := loadSpec(path); err != nil {
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
}

// loadSpec reads, decodes, defaults and validates an experiment file. Its
// error is one line per problem, each prefixed with the file name.
func loadSpec(path string) (experiment.Experiment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return experiment.Experiment{}, &exitError{code: exitErrored, err: err}
	}
	exp, err := experiment.Decode(path, data)
	if err != nil {
		return experiment.Experiment{}, &exitError{code: exitErrored, err: prefixLines(path, err)}
	}
	if err := worker.CheckKinds(*exp); err != nil {
		return experiment.Experiment{}, &exitError{code: exitErrored, err: prefixLines(path, err)}
	}
	return *exp, nil
}
