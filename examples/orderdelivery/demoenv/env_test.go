package demoenv

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/system"
)

// TestUpServesBothVersionsAndCloseLeavesNothing brings the whole demo
// environment up on test ports, sends one order to each version, and checks
// that Close frees every port and leaves no broker process.
func TestUpServesBothVersionsAndCloseLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cfg := DefaultConfig(t.TempDir())
	cfg.MongoAddr = "127.0.0.1:0"
	// Ports below Linux's ephemeral range (32768-60999), so that no
	// outgoing connection of a busy machine holds one of them when a
	// node binds it (38672 was, once, in CI: the broker never listened).
	cfg.V1.Broker.BasePort, cfg.V1.Broker.DistBasePort, cfg.V1.Broker.EPMDPort = 13672, 23672, 13369
	cfg.V2.Broker.BasePort, cfg.V2.Broker.DistBasePort, cfg.V2.Broker.EPMDPort = 13682, 23682, 13370
	for _, p := range []*Placement{&cfg.V1, &cfg.V2} {
		p.OrderAddr, p.DeliveryAddr = "127.0.0.1:0", "127.0.0.1:0"
	}
	start := time.Now()
	env, err := Up(ctx, cfg)
	if err != nil {
		t.Fatalf("up (needs rabbitmq-server): %v", err)
	}
	t.Logf("demo environment up in %v", time.Since(start).Round(time.Millisecond))
	closed := false
	defer func() {
		if !closed {
			_ = env.Close()
		}
	}()

	written, err := os.ReadFile(filepath.Join(cfg.StateDir, "env"))
	if err != nil || string(written) != env.String() {
		t.Fatalf("env file = %q (%v), want %q", written, err, env.String())
	}
	for _, v := range []system.Version{system.V1, system.V2} {
		prefix := strings.ToUpper(string(v)) + "_"
		resp, err := http.Post(env.Vars[prefix+"ORDER_URL"]+"/order", "application/json", strings.NewReader(`{"order_id": "demo-1"}`))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s POST /order: %s", v, resp.Status)
		}
		if got := waitResult(t, env.Vars[prefix+"DELIVERY_URL"], "0"); got != "0" {
			t.Fatalf("%s /result = %q, want 0 once the order is delivered", v, got)
		}
	}
	pidFile := env.Vars["V2_LEADER_PIDFILE"]
	if b, err := os.ReadFile(pidFile); err != nil || len(strings.TrimSpace(string(b))) == 0 {
		t.Fatalf("leader pid file %s: %q (%v)", pidFile, b, err)
	}

	closed = true
	if err := env.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, port := range []int{13672, 13682, 13683, 13684, 23672, 23682, 13369, 13370} {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Errorf("port %d still in use after Close: %v", port, err)
			continue
		}
		_ = ln.Close()
	}
}

func waitResult(t *testing.T, deliveryURL, want string) string {
	t.Helper()
	var got string
	for range 100 {
		resp, err := http.Get(deliveryURL + "/result")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			got = strings.TrimSpace(string(b))
			if got == want {
				return got
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got
}
