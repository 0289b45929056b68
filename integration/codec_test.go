package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/payloadcodec"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/temporalconn"
)

// codecKeyFile writes a random key to a file in the given encoding and
// returns its --codec-key source and ID.
func codecKeyFile(t *testing.T, encode func([]byte) string) (src, id string) {
	t.Helper()
	raw := make([]byte, payloadcodec.KeySize)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "codec.key")
	if err := os.WriteFile(path, []byte(encode(raw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return "file:" + path, payloadcodec.KeyID(raw)
}

// dialWith dials the embedded server with the connection options o.
func dialWith(t *testing.T, addr string, o temporalconn.Options) client.Client {
	t.Helper()
	s, err := o.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := s.Dial(ctx, client.Options{HostPort: addr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// rawHistories are the histories of every workflow in the namespace as
// the server stores them, read by a client without the codec, and the
// workflows' descriptions (their user metadata).
func rawHistories(t *testing.T, raw client.Client) (events []*historypb.HistoryEvent, described [][]byte) {
	t.Helper()
	ctx := context.Background()
	list, err := raw.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetExecutions()) == 0 {
		t.Fatal("no workflow on the server")
	}
	for _, ex := range list.GetExecutions() {
		var token []byte
		for {
			resp, err := raw.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
				Namespace: "default", Execution: ex.GetExecution(), NextPageToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, resp.GetHistory().GetEvents()...)
			if token = resp.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
		d, err := raw.WorkflowService().DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{Namespace: "default", Execution: ex.GetExecution()})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := proto.Marshal(d)
		described = append(described, b)
	}
	return events, described
}

// TestEncryptedPayloads runs an experiment (a kill the target does not
// come back from: a Failed verdict, so failures are written too) with the
// codec on, started from Go through temporalconn and run by a `tempest
// worker --codec-key` process, and reads what the server stored.
func TestEncryptedPayloads(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	e := newEnv(t)
	keyA, idA := codecKeyFile(t, base64.StdEncoding.EncodeToString)
	keyB, idB := codecKeyFile(t, hex.EncodeToString)
	addr := e.srv.FrontendAddress()
	withA := dialWith(t, addr, temporalconn.Options{CodecKeys: []string{keyA}})
	const queue = "it-codec"
	// A worker process with the key; --metrics-addr, because it puts the
	// worker on a second client, which must encrypt too.
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	w := exec.Command(tempestBin, "worker", "--address", addr, "--task-queue", queue, "--codec-key", keyA,
		"--worker-state-dir", t.TempDir(), "--metrics-addr", metricsAddr)
	w.Stdout, w.Stderr = os.Stderr, os.Stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Process.Kill(); _ = w.Wait() })
	waitHTTP(t, "http://"+metricsAddr+"/metrics", 30*time.Second)
	tg := startTarget(t, targetBin)

	nonce := make([]byte, 6)
	_, _ = rand.Read(nonce)
	mark := hex.EncodeToString(nonce)
	hypothesis := "hypothesis-marker-" + mark + " the target survives"
	probeURL := fmt.Sprintf("http://%s/healthz?probe-url-marker-%s", tg.addr, mark)
	faultName := "fault-marker-" + mark
	probeName := "probe-marker-" + mark
	watchName := "watch-marker-" + mark
	spec := fmt.Sprintf(`kind: Experiment
metadata:
  name: codec-run
spec:
  hypothesis: %s
  faults:
    - name: %s
      startAfter: 2s
      duration: 6s
      process:
        selector: {port: %d}
        signal: SIGKILL
  probes:
    - name: %s
      mode: Continuous
      interval: 300ms
      timeout: 1s
      http: {url: "%s"}
    - name: %s
      mode: EOT
      timeout: 1s
      interval: 300ms
      retries: 2
      http: {url: "%s"}
`, hypothesis, faultName, tg.port, watchName, probeURL, probeName, probeURL)
	markers := []string{"hypothesis-marker-" + mark, "probe-url-marker-" + mark, faultName, probeName, watchName}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, withA, decode(t, spec), starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	// While it runs, the watching probe's heartbeat details, as the
	// server keeps them, are encrypted.
	waitFor(t, time.Minute, "the watching probe's heartbeat details", func() bool {
		d, err := e.c.DescribeWorkflowExecution(ctx, run.ID, run.RunID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range d.GetPendingActivities() {
			ps := a.GetHeartbeatDetails().GetPayloads()
			if len(ps) == 0 {
				continue
			}
			b, _ := proto.Marshal(a)
			if string(ps[0].GetMetadata()["encoding"]) != payloadcodec.MetadataEncoding || bytes.Contains(b, []byte(watchName)) {
				t.Fatalf("heartbeat details of %s stored in clear text: %s", a.GetActivityType().GetName(), ps[0].GetData())
			}
			return true
		}
		return false
	})
	res, err := run.Result(ctx)
	if err != nil {
		t.Fatalf("result with the key: %v", err)
	}
	if res.Verdict != experiment.VerdictFailed || len(res.Reasons) == 0 {
		t.Fatalf("verdict %s reasons %v, want Failed (the target never comes back)", res.Verdict, res.Reasons)
	}

	// The server's copy: no marker in clear text anywhere, every payload
	// encrypted with key A, failure messages encoded.
	events, described := rawHistories(t, e.c)
	encrypted, failures := 0, 0
	for _, ev := range events {
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("event %d (%s) holds %q in clear text", ev.GetEventId(), ev.GetEventType(), m)
			}
		}
		if f := ev.GetWorkflowExecutionFailedEventAttributes().GetFailure(); f != nil {
			failures++
			if f.GetMessage() != "Encoded failure" || f.GetEncodedAttributes() == nil {
				t.Errorf("the workflow's failure is in clear text: %q", f.GetMessage())
			}
		}
		if in := ev.GetWorkflowExecutionStartedEventAttributes().GetInput(); in != nil {
			for _, p := range in.GetPayloads() {
				if string(p.GetMetadata()[payloadcodec.MetadataKeyID]) == idA {
					encrypted++
				}
			}
		}
	}
	for i, d := range described {
		for _, m := range markers {
			if bytes.Contains(d, []byte(m)) {
				t.Errorf("description %d holds %q in clear text", i, m)
			}
		}
	}
	if encrypted == 0 || failures == 0 {
		t.Fatalf("%d encrypted inputs with key A, %d workflow failures: the test did not see what it checks", encrypted, failures)
	}
	// The same search finds the markers once decrypted: it would see them.
	decoded := fetchHistory(t, withA, run.ID, run.RunID)
	b, _ := proto.Marshal(decoded)
	for _, m := range markers[:2] {
		if !bytes.Contains(b, []byte(m)) {
			t.Errorf("the decrypted history lacks %q: the clear-text search is blind", m)
		}
	}
	replay(t, decoded)
	exp, err := starter.Attach(withA, run.ID, run.RunID).Experiment(ctx)
	if err != nil || exp.Spec.Hypothesis != hypothesis {
		t.Fatalf("experiment read with the key: %q, %v", exp.Spec.Hypothesis, err)
	}

	// The CLI: with key A, or with the keyring [B, A] (rotation), status
	// reads the run; without a key it says which key it needs.
	cli := func(args ...string) (string, string, int) {
		cmd := exec.Command(tempestBin, append([]string{"--address", addr}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			code = ee.ExitCode()
		}
		return stdout.String(), stderr.String(), code
	}
	for _, keys := range [][]string{{"--codec-key", keyA}, {"--codec-key", keyB, "--codec-key", keyA}} {
		out, errOut, code := cli(append([]string{"status", "-o", "json", run.ID}, keys...)...)
		if code != 0 || !strings.Contains(out, `"Failed"`) || !strings.Contains(out, probeName) {
			t.Errorf("status %v: exit %d\n%s\n%s", keys, code, out, errOut)
		}
	}
	out, errOut, code := cli("report", "--format", "md", "--codec-key", keyB, "--codec-key", keyA, run.ID)
	if code != 0 || !strings.Contains(out, hypothesis) {
		t.Errorf("report with keyring [B, A]: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, keys := range [][]string{nil, {"--codec-key", keyB}} {
		_, errOut, code = cli(append([]string{"status", run.ID}, keys...)...)
		want := "payload encrypted with key ID " + idA
		if code != 2 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "pass --codec-key") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("status with keys %v (have %s): exit %d, stderr %q; want exit 2 and one line saying %q", keys, idB, code, errOut, want)
		}
	}
	t.Setenv("TEMPEST_TEST_SHORT_KEY", base64.StdEncoding.EncodeToString(make([]byte, 16)))
	_, errOut, code = cli("status", "--codec-key", "env:TEMPEST_TEST_SHORT_KEY", run.ID)
	if code != 2 || !strings.HasPrefix(errOut, "tempest: --codec-key: env:TEMPEST_TEST_SHORT_KEY: the key is base64 of 16 bytes; want 32") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("a 16-byte key: exit %d, stderr %q", code, errOut)
	}

	// The codec server decodes a payload of the raw history, for the UI.
	var started *commonpb.Payloads
	for _, ev := range events {
		if in := ev.GetWorkflowExecutionStartedEventAttributes().GetInput(); in != nil && ev.GetEventId() == 1 {
			started = in
			break
		}
	}
	codecURL := startCodecServer(t, tempestBin, keyB, keyA)
	body, _ := protojson.Marshal(started)
	resp, got := codecPost(t, codecURL+"/decode", body, map[string]string{"Authorization": "Bearer codec-test-token", "X-Namespace": "default", "Origin": "http://localhost:8233"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8233" {
		t.Fatalf("decode: %d %v %s", resp.StatusCode, resp.Header, got)
	}
	var dec commonpb.Payloads
	if err := protojson.Unmarshal(got, &dec); err != nil {
		t.Fatal(err)
	}
	if len(dec.GetPayloads()) != 1 || !bytes.Contains(dec.GetPayloads()[0].GetData(), []byte(hypothesis)) ||
		string(dec.GetPayloads()[0].GetMetadata()["encoding"]) != "json/plain" {
		t.Fatalf("decoded %s, want the spec in JSON", got)
	}
	// Round trip: encode what was decoded, decode it again.
	resp, reenc := codecPost(t, codecURL+"/encode", got, map[string]string{"Authorization": "Bearer codec-test-token"})
	if resp.StatusCode != 200 || bytes.Contains(reenc, []byte(base64.StdEncoding.EncodeToString([]byte("hypothesis")))) {
		t.Fatalf("encode: %d %s", resp.StatusCode, reenc)
	}
	if resp, again := codecPost(t, codecURL+"/decode", reenc, map[string]string{"Authorization": "Bearer codec-test-token"}); resp.StatusCode != 200 || !bytes.Equal(again, got) {
		t.Fatalf("decode of encode: %d\n%s\nwant\n%s", resp.StatusCode, again, got)
	}
	if resp, _ := codecPost(t, codecURL+"/decode", body, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("decode without the Authorization header: %d", resp.StatusCode)
	}
	for origin, want := range map[string]int{"http://localhost:8233": http.StatusNoContent, "http://elsewhere.example:8233": http.StatusForbidden} {
		req, _ := http.NewRequest(http.MethodOptions, codecURL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		allowed := resp.Header.Get("Access-Control-Allow-Origin") == origin
		if resp.StatusCode != want || allowed != (want == http.StatusNoContent) {
			t.Errorf("preflight from %s: %d %v", origin, resp.StatusCode, resp.Header)
		}
	}
}

// startCodecServer runs `tempest codec-server` with the keys, the UI
// origin http://localhost:8233 and the Authorization "Bearer
// codec-test-token", and returns its base URL.
func startCodecServer(t *testing.T, tempestBin string, keys ...string) string {
	t.Helper()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := []string{"codec-server", "--listen", listen, "--ui-origin", "http://localhost:8233", "--auth-header", "env:TEMPEST_TEST_CODEC_AUTH"}
	for _, k := range keys {
		args = append(args, "--codec-key", k)
	}
	cmd := exec.Command(tempestBin, args...)
	cmd.Env = append(os.Environ(), "TEMPEST_TEST_CODEC_AUTH=Bearer codec-test-token")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := "http://" + listen
	waitFor(t, 20*time.Second, "the codec server to listen", func() bool { return reachableTCP(listen) })
	return url
}

func reachableTCP(addr string) bool {
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

func codecPost(t *testing.T, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
