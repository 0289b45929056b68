package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/mongoembed"
)

// TestStopOnFailureHaltsWithinOneInterval pauses a target for a minute
// while a stopOnFailure probe watches it: the breach reverts the pause at
// once and the verdict is Failed.
func TestStopOnFailureHaltsWithinOneInterval(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-halt")
	tg := startTarget(t, targetBin)
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: halt-on-breach}
spec:
  faults:
    - name: pause-target
      duration: 1m
      process: {selector: {port: %d}, action: pause}
  probes:
    - name: guard
      mode: Continuous
      interval: 1s
      timeout: 500ms
      stopOnFailure: true
      http: {url: "http://%s/healthz"}
`, tg.port, tg.addr)
	_, res := e.runToEnd(t, decode(t, spec), "it-halt", 2*time.Minute)

	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed; reasons %v", res.Verdict, res.Reasons)
	}
	p := res.Probes[0]
	if p.FirstFailure == nil {
		t.Fatalf("probe %+v has no failure", p)
	}
	breach := p.FirstFailure.At.Add(p.FirstFailure.Took)
	if d := res.EndedAt.Sub(breach); d > time.Second {
		t.Fatalf("experiment ended %s after the breach, want within one probe interval (1s)", d)
	}
	if res.Faults[0].Reverts != 1 {
		t.Fatalf("fault %+v, want its pause reverted", res.Faults[0])
	}
	waitServing(t, tg.addr, 5*time.Second)
}

// TestProbeTimeoutFailsTheVerdict: a SOT probe whose peer answers after its
// timeout fails, so nothing is injected and the verdict is Failed.
func TestProbeTimeoutFailsTheVerdict(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-timeout")
	tg := startTarget(t, targetBin)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: probe-timeout}
spec:
  faults:
    - name: kill-target
      duration: 1s
      process: {selector: {port: %d}}
  probes:
    - name: slow
      mode: SOT
      timeout: 300ms
      http: {url: "%s"}
`, tg.port, slow.URL)
	_, res := e.runToEnd(t, decode(t, spec), "it-timeout", time.Minute)
	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed; reasons %v", res.Verdict, res.Reasons)
	}
	if res.Probes[0].Passed || !strings.Contains(res.Probes[0].FirstFailure.Detail, "timed out") {
		t.Fatalf("probe %+v, want a timeout failure", res.Probes[0])
	}
	if res.Faults[0].Injections != 0 {
		t.Fatal("a fault was injected although steady state did not hold")
	}
	waitServing(t, tg.addr, time.Second)
}

// TestSecretsStayOutOfHistory runs probes whose Mongo URI and HTTP header
// come from env: references and checks that neither value appears in the
// workflow history or the result, while the probes did use them.
func TestSecretsStayOutOfHistory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	db, err := mongoembed.Start(ctx, mongoembed.Config{Dir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mc, err := mongo.Connect(options.Client().ApplyURI(db.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Disconnect(ctx)
	orders := mc.Database("delivery").Collection("delivery1")
	if _, err := orders.InsertOne(ctx, bson.M{"orderID": "o-1", "isDelivered": true}); err != nil {
		t.Fatal(err)
	}

	token := fmt.Sprintf("tok-%d-secret", time.Now().UnixNano())
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer api.Close()
	appName := fmt.Sprintf("app%dsecret", time.Now().UnixNano())
	uri := db.URI()
	if strings.Contains(uri, "?") {
		uri += "&appName=" + appName
	} else {
		uri += "?appName=" + appName
	}
	t.Setenv("TEMPEST_IT_MONGO_URI", uri)
	t.Setenv("TEMPEST_IT_TOKEN", "Bearer "+token)
	e.inProcessWorker(t, "it-secrets")

	spec := fmt.Sprintf(`kind: Experiment
metadata: {name: secrets}
spec:
  probes:
    - name: no-undelivered-orders
      mode: SOT
      mongo:
        uri: env:TEMPEST_IT_MONGO_URI
        database: delivery
        collection: delivery1
        operation: count
        filter: '{"isDelivered": false}'
        expect: {op: "==", value: 0}
    - name: api-authorised
      mode: EOT
      http:
        url: %s
        headers: {Authorization: env:TEMPEST_IT_TOKEN}
`, api.URL)
	run, res := e.runToEnd(t, decode(t, spec), "it-secrets", time.Minute)
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v (the probes must have used the secrets)", res.Verdict, res.Reasons)
	}
	history := readableHistory(t, fetchHistory(t, e.c, run.ID, run.RunID))
	result, _ := json.Marshal(res)
	for _, secret := range []string{token, appName} {
		if strings.Contains(history, secret) || strings.Contains(string(result), secret) {
			t.Fatalf("secret %q found in the workflow history or result", secret)
		}
	}
	if !strings.Contains(history, "env:TEMPEST_IT_TOKEN") {
		t.Fatal("history does not even hold the reference: the test would pass vacuously")
	}
}

// readableHistory renders a history as JSON with every payload's bytes
// (base64 in protojson) decoded next to it, so a search sees their text.
func readableHistory(t *testing.T, h *historypb.History) string {
	t.Helper()
	b, err := protojson.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.Write(b)
	for _, m := range regexp.MustCompile(`"data":"([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(string(b), -1) {
		if dec, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			out.WriteString("\n")
			out.Write(dec)
		}
	}
	return out.String()
}
