package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestConnectionFlagsOnEveryCommandThatConnects: the TLS, API key and
// codec flags are on run, worker, status, abort, cleanup, report and dev.
func TestConnectionFlagsOnEveryCommandThatConnects(t *testing.T) {
	for _, cmd := range []string{"run", "worker", "status", "abort", "cleanup", "report", "dev", "codec-server"} {
		stdout, _, _ := execute(t, cmd, "--help")
		for _, flag := range []string{"--tls ", "--tls-cert", "--tls-key", "--tls-ca", "--tls-server-name", "--api-key", "--codec-key"} {
			if !strings.Contains(stdout, flag) {
				t.Errorf("%s --help lacks %s", cmd, flag)
			}
		}
	}
}

// TestTLSNeedsAddress: the embedded server serves no TLS, so a command
// that would start it refuses TLS options before starting anything.
func TestTLSNeedsAddress(t *testing.T) {
	port := freePort(t)
	for _, cmd := range []string{"run", "dev"} {
		args := []string{cmd, "--tls", "--port", fmt.Sprint(port), "--ui-port", fmt.Sprint(freePort(t)), "--state-dir", t.TempDir()}
		if cmd == "run" {
			args = append(args, "--exit", writeFile(t, "ok.yaml", strings.Replace(badDuration, "0s", "5s", 1)+"        restart: [./target]\n"))
		}
		_, stderr, code := execute(t, args...)
		if code != exitErrored || !strings.Contains(stderr, "need --address: the embedded server serves no TLS") {
			t.Errorf("%s --tls: exit %d, stderr %q", cmd, code, stderr)
		}
		if reachable(fmt.Sprintf("127.0.0.1:%d", port)) {
			t.Fatalf("%s --tls started a server", cmd)
		}
	}
}

func TestCodecServerBadInput(t *testing.T) {
	t.Setenv("TEMPEST_TEST_KEY", strings.Repeat("ab", 32))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"codec-server"}, "--codec-key is required"},
		{[]string{"codec-server", "--codec-key", "env:TEMPEST_TEST_KEY", "--ui-origin", "localhost:8233"}, "--ui-origin \"localhost:8233\": want scheme://host[:port]"},
		{[]string{"codec-server", "--codec-key", "env:TEMPEST_TEST_KEY", "--auth-header", "Bearer x"}, "--auth-header: want env:NAME or file:PATH"},
		{[]string{"codec-server", "--codec-key", "env:TEMPEST_TEST_KEY", "--listen", "127.0.0.1:99999"}, "--listen: "},
	} {
		_, stderr, code := execute(t, tc.args...)
		if code != exitErrored || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestBadTLSEnvironmentVariable(t *testing.T) {
	t.Setenv("TEMPEST_TLS", "yes please")
	_, stderr, code := execute(t, "status", "--address", "127.0.0.1:1", "some-id")
	if code != exitErrored || !strings.Contains(stderr, `--tls: $TEMPEST_TLS is "yes please": want true or false`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
