package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/tempest-chaos/tempest/temporalconn"
	"github.com/tempest-chaos/tempest/temporalconn/tlstest"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// cliResult is what a tempest command printed and its exit code.
type cliResult struct {
	stdout, stderr string
	code           int
}

func runCLI(t *testing.T, bin string, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := cliResult{}
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("tempest %v: %v", args, err)
		}
		r.code = ee.ExitCode()
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	return r
}

// workflowCount is how many workflows the server has.
func workflowCount(t *testing.T, e env) int {
	t.Helper()
	resp, err := e.c.WorkflowService().ListWorkflowExecutions(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.GetExecutions())
}

// TestCLIOverMTLS puts the embedded server behind a TLS endpoint that
// requires a client certificate of its CA: the CLI with the right
// certificate runs an experiment and reads its status; without one, with
// one of another CA, or without the CA it is refused with one line naming
// the address; TLS to the plaintext server says TLS failed; bad TLS input
// starts nothing.
func TestCLIOverMTLS(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	e := newEnv(t)
	pki := tlstest.New(t)
	proxy := pki.Proxy(t, e.srv.FrontendAddress())
	const queue = "it-mtls"
	// The worker connects through the same mTLS endpoint, as a Go program
	// using temporalconn.
	workertest.Start(t, dialWith(t, proxy, temporalconn.Options{
		TLSCert: pki.ClientCert, TLSKey: pki.ClientKey, TLSCA: pki.CA, TLSServerName: tlstest.ServerName,
	}), queue, worker.Config{})
	tg := startTarget(t, targetBin)
	spec := writeSpec(t, killSpec(tg, time.Second, tg.argv()))

	mtls := []string{"--address", proxy, "--task-queue", queue, "--tls-cert", pki.ClientCert, "--tls-key", pki.ClientKey, "--tls-ca", pki.CA, "--tls-server-name", tlstest.ServerName}
	r := runCLI(t, tempestBin, nil, append([]string{"run", "-o", "json"}, append(mtls, spec)...)...)
	if r.code != 0 || !strings.Contains(r.stdout, `"Passed"`) {
		t.Fatalf("run over mTLS: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	id := workflowIDIn(t, r.stderr)
	// The same through the environment variables.
	envTLS := []string{"TEMPEST_TLS_CERT=" + pki.ClientCert, "TEMPEST_TLS_KEY=" + pki.ClientKey, "TEMPEST_TLS_CA=" + pki.CA, "TEMPEST_TLS_SERVER_NAME=" + tlstest.ServerName}
	r = runCLI(t, tempestBin, envTLS, "status", "--address", proxy, id)
	if r.code != 0 || !strings.Contains(r.stdout, "Passed") {
		t.Fatalf("status over mTLS (TEMPEST_TLS_*): exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"no client certificate", []string{"--tls-ca", pki.CA, "--tls-server-name", tlstest.ServerName}, "refused this client's certificate"},
		{"a certificate of another CA", []string{"--tls-cert", pki.StrangerCert, "--tls-key", pki.StrangerKey, "--tls-ca", pki.CA, "--tls-server-name", tlstest.ServerName}, "refused this client's certificate"},
		{"the server's CA not trusted", []string{"--tls-cert", pki.ClientCert, "--tls-key", pki.ClientKey, "--tls-server-name", tlstest.ServerName}, "certificate is not trusted"},
		{"another server name", []string{"--tls-cert", pki.ClientCert, "--tls-key", pki.ClientKey, "--tls-ca", pki.CA, "--tls-server-name", "other.example"}, "certificate is not trusted"},
	}
	for _, tc := range refused {
		r := runCLI(t, tempestBin, nil, append([]string{"status", "--address", proxy, id}, tc.args...)...)
		line := strings.TrimSpace(r.stderr)
		if r.code != 2 || !strings.Contains(line, "TLS with "+proxy+" failed") || !strings.Contains(line, tc.want) || strings.Contains(line, "\n") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line saying TLS with %s failed: ...%s", tc.name, r.code, r.stderr, proxy, tc.want)
		}
	}
	// An address that refuses TLS: the embedded server itself.
	plain := e.srv.FrontendAddress()
	r = runCLI(t, tempestBin, nil, "status", "--address", plain, "--tls", id)
	if line := strings.TrimSpace(r.stderr); r.code != 2 || line != "tempest: TLS with "+plain+" failed: the server does not speak TLS there (drop the TLS options, or use its TLS port)" {
		t.Errorf("TLS to the plaintext server: exit %d, stderr %q", r.code, r.stderr)
	}

	// Bad input: one line naming the flag, exit 2, nothing started.
	before := workflowCount(t, e)
	garbage := writeSpec(t, "not a certificate")
	t.Setenv("TEMPEST_TEST_EMPTY_API_KEY", "")
	t.Setenv("TEMPEST_TEST_SHORT_CODEC_KEY", base64.StdEncoding.EncodeToString(make([]byte, 31)))
	for _, tc := range []struct {
		name, flag string
		args       []string
	}{
		{"missing certificate file", "--tls-cert", []string{"--tls-cert", pki.ClientCert + ".missing", "--tls-key", pki.ClientKey}},
		{"certificate that does not parse", "--tls-cert", []string{"--tls-cert", garbage, "--tls-key", pki.ClientKey}},
		{"certificate without its key", "--tls-cert", []string{"--tls-cert", pki.ClientCert}},
		{"key of another certificate", "--tls-key", []string{"--tls-cert", pki.ClientCert, "--tls-key", pki.StrangerKey}},
		{"CA that does not parse", "--tls-ca", []string{"--tls-ca", garbage}},
		{"empty API key", "--api-key", []string{"--api-key", "env:TEMPEST_TEST_EMPTY_API_KEY"}},
		{"codec key of 31 bytes", "--codec-key", []string{"--codec-key", "env:TEMPEST_TEST_SHORT_CODEC_KEY"}},
	} {
		r := runCLI(t, tempestBin, nil, append([]string{"run", "--address", proxy, "--task-queue", queue, spec}, tc.args...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "tempest: "+tc.flag+": ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line starting tempest: %s:", tc.name, r.code, r.stderr, tc.flag)
		}
	}
	if after := workflowCount(t, e); after != before {
		t.Errorf("bad input started %d workflows", after-before)
	}
}

// writeSpec writes text to a file of the test and returns its path.
func writeSpec(t *testing.T, text string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "spec-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// workflowIDIn finds the workflow ID in run's "experiment X started:
// workflow ID" line.
func workflowIDIn(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(line, "started: workflow "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no workflow ID in %q", out)
	return ""
}
