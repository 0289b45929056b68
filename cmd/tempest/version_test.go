package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
)

func TestVersionCommand(t *testing.T) {
	stdout, stderr, code := execute(t, "version")
	if code != exitPassed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"tempest ", "go:              " + runtime.Version(), "temporal sdk:    " + temporal.SDKVersion} {
		if !strings.Contains(stdout, want) {
			t.Errorf("%q does not say %q", stdout, want)
		}
	}
}

func TestWriteVersionFromBuildInfo(t *testing.T) {
	var b bytes.Buffer
	writeVersion(&b, &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/tempest-chaos/tempest", Version: "v1.2.3"},
		Deps: []*debug.Module{{Path: "go.temporal.io/server", Version: "v1.32.1"}},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		},
	})
	for _, want := range []string{"tempest v1.2.3\n", "commit:          0123abc (with uncommitted changes)\n",
		"commit time:     2026-12-01T10:00:00Z\n", "temporal server: v1.32.1 (embedded)\n",
		`campaigns:       version 1 (change ID "tempest-campaign"; `} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("%q does not say %q", b.String(), want)
		}
	}
}
