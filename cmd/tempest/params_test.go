package main

import (
	"strings"
	"testing"
)

const paramsSpec = `kind: Experiment
metadata:
  name: params
spec:
  faults:
    - name: kill
      duration: ${DURATION:-5s}
      process:
        selector: {port: ${PORT}}
        restart: ["./target", "-cost", "$$5"]
  probes:
    - name: up
      mode: EOT
      http:
        url: http://${HOST:-127.0.0.1}:${PORT}/healthz
        headers: {Authorization: env:TOKEN}
`

// TestValidateParams: --set wins over the environment, a default applies,
// the parameters are printed; an unset one is refused with its line.
func TestValidateParams(t *testing.T) {
	path := writeFile(t, "params.yaml", paramsSpec)
	t.Setenv("PORT", "9999")
	t.Setenv("HOST", "10.0.0.7")
	stdout, stderr, code := execute(t, "validate", "--set", "PORT=18081", path)
	if code != exitPassed {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := path + ": parameters: DURATION=5s (default), HOST=10.0.0.7 (environment), PORT=18081 (--set)"
	if !strings.Contains(stdout, want) || !strings.Contains(stdout, path+": valid") {
		t.Fatalf("stdout %q, want %q", stdout, want)
	}

	t.Setenv("PORT", "")
	_, stderr, code = execute(t, "validate", "--set", "DURATION=0s", path)
	if code != exitErrored {
		t.Fatalf("exit %d, want %d", code, exitErrored)
	}
	// An empty PORT is set: the decode error names the field and line.
	if !strings.Contains(stderr, "spec.faults[0].duration: must be > 0 (line 7)") {
		t.Fatalf("stderr %q", stderr)
	}
}

func TestValidateParamUnset(t *testing.T) {
	path := writeFile(t, "params.yaml", paramsSpec)
	_, stderr, code := execute(t, "validate", path)
	if code != exitErrored {
		t.Fatalf("exit %d, want %d", code, exitErrored)
	}
	want := path + ": line 9: ${PORT} is not set: pass --set PORT=VALUE or set it in the environment"
	if !strings.Contains(stderr, want) {
		t.Fatalf("stderr %q, want %q", stderr, want)
	}
}

func TestRunRefusesUnsetParamBeforeConnecting(t *testing.T) {
	path := writeFile(t, "params.yaml", paramsSpec)
	_, stderr, code := execute(t, "run", "--address", "127.0.0.1:1", path)
	if code != exitErrored || !strings.Contains(stderr, "${PORT} is not set") || strings.Contains(stderr, "cannot reach") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	_, stderr, _ = execute(t, "run", "--address", "127.0.0.1:1", "--set", "PORT", path)
	if !strings.Contains(stderr, `--set "PORT": want KEY=VALUE`) {
		t.Fatalf("stderr %q", stderr)
	}
}

// TestValidateWarnsKillWithoutRestart: a warning, not an error.
func TestValidateWarnsKillWithoutRestart(t *testing.T) {
	path := writeFile(t, "kill.yaml", strings.Replace(badDuration, "0s", "5s", 1))
	stdout, stderr, code := execute(t, "validate", path)
	if code != exitPassed || !strings.Contains(stdout, path+": valid") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	want := path + ": warning: spec.faults[0].process: fault kill: a kill without process.restart is not restored by the rollback"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "(line 8)") {
		t.Fatalf("stderr %q, want %q", stderr, want)
	}
}

func TestValidateWarnsUnusedSet(t *testing.T) {
	path := writeFile(t, "params.yaml", paramsSpec)
	_, stderr, code := execute(t, "validate", "--set", "PORT=1", "--set", "PROT=2", path)
	if code != exitPassed || !strings.Contains(stderr, path+": warning: --set PROT: the spec has no ${PROT}") || strings.Contains(stderr, "--set PORT:") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
