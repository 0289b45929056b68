package cmdprobe_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe/cmdprobe"
	"github.com/tempest-chaos/tempest/secret"
)

func cmdProbe(c experiment.CmdProbe) experiment.Probe {
	return experiment.Probe{Name: "p", Mode: experiment.ModeEOT, Cmd: &c}
}

func eq(v string) *experiment.Comparison {
	return &experiment.Comparison{Op: experiment.OpEq, Value: experiment.Scalar(v)}
}

func observe(t *testing.T, p experiment.Probe, timeout time.Duration) experiment.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	obs, err := cmdprobe.New(secret.Resolver{}).Observe(ctx, p)
	if err != nil {
		t.Fatalf("Observe: unexpected error %v", err)
	}
	return obs
}

// TestSeedCurlProbe is the seed's probe: curl -s http://delivery-app/result == 0.
func TestSeedCurlProbe(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is needed for the seed's cmd probe: apt-get install -y curl")
	}
	var undelivered atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d\n", undelivered.Load())
	}))
	defer srv.Close()
	p := cmdProbe(experiment.CmdProbe{Command: []string{curl, "-s", srv.URL + "/result"}, Output: eq("0")})

	if obs := observe(t, p, 5*time.Second); !obs.Passed || obs.Value != `exit 0, stdout "0"` {
		t.Fatalf("0 undelivered: want pass, got %+v", obs)
	}
	undelivered.Store(7)
	if obs := observe(t, p, 5*time.Second); obs.Passed || !strings.Contains(obs.Detail, "expected == 0, got 7") {
		t.Fatalf("7 undelivered: want fail with expected vs actual, got %+v", obs)
	}
	srv.Close()
	if obs := observe(t, p, 5*time.Second); obs.Passed || !strings.Contains(obs.Detail, `got ""`) {
		t.Fatalf("server down: want fail, got %+v", obs)
	}
}

func TestExitCode(t *testing.T) {
	if obs := observe(t, cmdProbe(experiment.CmdProbe{Command: []string{"false"}}), 5*time.Second); obs.Passed || obs.Detail != "exit code 1, want 0" {
		t.Fatalf("false: want fail with exit code, got %+v", obs)
	}
	one := 1
	if obs := observe(t, cmdProbe(experiment.CmdProbe{Command: []string{"false"}, ExitCode: &one}), 5*time.Second); !obs.Passed {
		t.Fatalf("false with exitCode 1: want pass, got %+v", obs)
	}
	obs := observe(t, cmdProbe(experiment.CmdProbe{Command: []string{"sh", "-c", "echo broken >&2; exit 3"}}), 5*time.Second)
	if obs.Passed || !strings.Contains(obs.Detail, `exit code 3, want 0 (stderr: "broken")`) {
		t.Fatalf("want exit code and stderr in detail, got %+v", obs)
	}
}

func TestNoShellUnlessAsked(t *testing.T) {
	obs := observe(t, cmdProbe(experiment.CmdProbe{Command: []string{"echo", "$((1+2)); true"}, Output: eq("$((1+2)); true")}), 5*time.Second)
	if !obs.Passed {
		t.Fatalf("argv must not be shell-expanded: %+v", obs)
	}
	obs = observe(t, cmdProbe(experiment.CmdProbe{Command: []string{"echo $((1+2)) $1", "zero", "one"}, Shell: true, Output: eq("3 one")}), 5*time.Second)
	if !obs.Passed {
		t.Fatalf("shell: true runs /bin/sh -c with positional args: %+v", obs)
	}
}

func TestJSONPathAndDir(t *testing.T) {
	obs := observe(t, cmdProbe(experiment.CmdProbe{
		Command: []string{"printf", `{"queues":[{"name":"orders","messages":5}]}`}, JSONPath: "$.queues[0].messages",
		Output: &experiment.Comparison{Op: experiment.OpBetween, Values: []experiment.Scalar{"0", "10"}},
	}), 5*time.Second)
	if !obs.Passed {
		t.Fatalf("json path: %+v", obs)
	}
	dir := t.TempDir()
	obs = observe(t, cmdProbe(experiment.CmdProbe{Command: []string{"pwd"}, Dir: dir, Output: &experiment.Comparison{Type: experiment.ValueString, Op: experiment.OpEq, Value: experiment.Scalar(dir)}}), 5*time.Second)
	if !obs.Passed {
		t.Fatalf("dir: %+v", obs)
	}
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	obs := observe(t, cmdProbe(experiment.CmdProbe{
		Command: []string{"sleep 30 & echo $! > " + pidFile + "; wait"}, Shell: true,
	}), 300*time.Millisecond)
	if obs.Passed || !strings.Contains(obs.Detail, "timed out after") {
		t.Fatalf("timeout must be a failed observation, got %+v", obs)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("observation outlived its deadline: %v", took)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("grandchild pid: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("background sleep (pid %d) survived the probe timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie waiting for its reaper is dead).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestSecretEnvResolvedAndRedacted(t *testing.T) {
	const value = "pw-41b7d0-never-in-history"
	t.Setenv("TEMPEST_TEST_CMD_SECRET", value)
	p := cmdProbe(experiment.CmdProbe{
		Command: []string{`echo "$DB_PASSWORD"; echo "auth failed for $DB_PASSWORD" >&2; exit 2`}, Shell: true,
		Env:    map[string]experiment.SecretRef{"DB_PASSWORD": "env:TEMPEST_TEST_CMD_SECRET"},
		Output: eq("ok"),
	})
	two := 2
	p.Cmd.ExitCode = &two
	obs := observe(t, p, 5*time.Second)
	if obs.Passed {
		t.Fatalf("want fail, got %+v", obs)
	}
	if strings.Contains(obs.Value+obs.Detail, value) {
		t.Fatalf("secret leaked: %+v", obs)
	}
	if !strings.Contains(obs.Detail, "got [redacted]") {
		t.Fatalf("the command did not see the secret, or it was not redacted: %+v", obs)
	}

	p.Cmd.Env["DB_PASSWORD"] = "env:TEMPEST_TEST_CMD_SECRET_UNSET"
	_, err := cmdprobe.New(secret.Resolver{}).Observe(t.Context(), p)
	if typ, _ := errkind.TypeOf(err); typ != errkind.SecretUnavailable {
		t.Fatalf("unset secret: want SecretUnavailable, got %v", err)
	}
}

func TestBadSpecsAreInvalidSpecErrors(t *testing.T) {
	tests := []struct {
		name    string
		p       experiment.Probe
		wantErr string
	}{
		{"no block", experiment.Probe{Name: "p"}, "cmd block missing"},
		{"no command", cmdProbe(experiment.CmdProbe{}), "cmd.command: required"},
		{"not found", cmdProbe(experiment.CmdProbe{Command: []string{"tempest-no-such-binary"}}), "cmd.command"},
		{"jsonPath without output", cmdProbe(experiment.CmdProbe{Command: []string{"true"}, JSONPath: "a"}), "needs cmd.output"},
		{"bad comparison", cmdProbe(experiment.CmdProbe{Command: []string{"true"}, Output: &experiment.Comparison{Op: "between"}}), "cmd.output.values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cmdprobe.New(secret.Resolver{}).Observe(t.Context(), tc.p)
			if verr := cmdprobe.Validate(tc.p); tc.name != "not found" && (verr == nil || verr.Error() != err.Error()) {
				t.Fatalf("Validate = %v, want the error Observe gives (%v)", verr, err)
			}
			if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want InvalidSpec containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}
