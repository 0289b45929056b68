package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/workflows"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Tempest's version, the commit it was built from, and the Go and Temporal versions",
		Example: `  tempest version
  go run ./cmd/tempest version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bi, _ := debug.ReadBuildInfo()
			writeVersion(cmd.OutOrStdout(), bi)
			return nil
		},
	}
}

// writeVersion prints the module version, the VCS revision and time the
// binary was built from (when Go recorded them), and the Go, Temporal SDK
// and embedded server versions. bi may be nil.
func writeVersion(w io.Writer, bi *debug.BuildInfo) {
	version, revision, when, modified := "(unknown)", "", "", false
	deps := map[string]string{}
	if bi != nil {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			deps[d.Path] = d.Version
		}
	}
	fmt.Fprintf(w, "tempest %s\n", version)
	switch {
	case revision == "":
		fmt.Fprintln(w, "  commit:          (not recorded: built with -buildvcs=false, outside a git checkout, or by go run or go test)")
	default:
		if modified {
			revision += " (with uncommitted changes)"
		}
		fmt.Fprintf(w, "  commit:          %s\n", revision)
		if when != "" {
			fmt.Fprintf(w, "  commit time:     %s\n", when)
		}
	}
	fmt.Fprintf(w, "  go:              %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "  workflows:       version %d (change ID %q; runs of every earlier version replay)\n", workflows.CurrentVersion, "tempest")
	fmt.Fprintf(w, "  campaigns:       version %d (change ID %q; runs of every earlier version replay)\n", workflows.CurrentCampaignVersion, workflows.CampaignChangeID)
	fmt.Fprintf(w, "  temporal sdk:    %s\n", temporal.SDKVersion)
	if v := deps["go.temporal.io/server"]; v != "" {
		fmt.Fprintf(w, "  temporal server: %s (embedded)\n", v)
	}
	if v := deps["github.com/temporalio/ui-server/v2"]; v != "" {
		fmt.Fprintf(w, "  temporal ui:     %s (embedded)\n", v)
	}
}
