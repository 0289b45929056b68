package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/temporalconn"
)

// TestUIDecodesWithTheCodec: `tempest dev --codec-key` serves its codec
// to its own Web UI. The server stores an encrypted run's summaries
// encrypted, and the UI, rendered by headless Chromium, shows them in
// clear text: the browser decrypted them through the codec (a
// cross-origin call, so CORS is exercised by a real browser).
func TestUIDecodesWithTheCodec(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	saved := keepOnFailure(t)
	br := startBrowser(t)
	key, _ := codecKeyFile(t, base64.StdEncoding.EncodeToString)
	dev := startDev(t, tempestBin, saved, "--codec-key", key)
	withKey := dialWith(t, dev.frontend, temporalconn.Options{CodecKeys: []string{key}})
	tg := startTarget(t, targetBin)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, withKey, decode(t, killSpec(tg, 2*time.Second, nil)), starter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Result(ctx)
	if err != nil {
		t.Fatalf("result of %s: %v", run.ID, err)
	}
	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed; reasons %v", res.Verdict, res.Reasons)
	}
	// As stored: dev.client has no codec.
	for _, ev := range fetchHistory(t, dev.client, run.ID, run.RunID).GetEvents() {
		b, _ := proto.Marshal(ev)
		if bytes.Contains(b, []byte("hold kill-target")) || bytes.Contains(b, []byte("the target comes back")) {
			t.Fatalf("event %d (%s) is stored in clear text", ev.GetEventId(), ev.GetEventType())
		}
	}

	url := fmt.Sprintf("%s/namespaces/default/workflows/%s/%s/history", dev.ui, run.ID, run.RunID)
	var h uiHistory
	err = br.poll(t.Context(), url, uiWait, saved, "history", historyJS, &h, func() bool {
		return h.rendered() && h.has("Timer Started", "hold kill-target", "2s")
	})
	t.Logf("history of %s: %d events, summaries:\n%s", run.ID, h.Events, h)
	if err != nil {
		t.Fatalf("the UI at %s did not show the decrypted hold timer's summary: %v", url, err)
	}
}
