package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/demoenv"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/system"
	"github.com/tempest-chaos/tempest/experiment"
)

// TestExperimentsMatchTheDemoEnvironment decodes every experiment with the
// engine's own decoder and checks it names the ports, databases and state
// dirs that demo-env up uses.
func TestExperimentsMatchTheDemoEnvironment(t *testing.T) {
	cfg := demoenv.DefaultConfig(filepath.Join(".tempest", "orderdelivery"))
	for _, tc := range []struct {
		file    string
		version system.Version
		place   demoenv.Placement
	}{
		{"v1.yaml", system.V1, cfg.V1},
		{"v1-ci.yaml", system.V1, cfg.V1},
		{"v2.yaml", system.V2, cfg.V2},
		{"v2-ci.yaml", system.V2, cfg.V2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("experiments", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			exp, err := experiment.Decode(tc.file, data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			spec := exp.Spec
			if got := spec.Load.Targets[0].URL; got != "http://"+tc.place.OrderAddr+"/order" {
				t.Errorf("load targets %s, want the order service at %s", got, tc.place.OrderAddr)
			}
			f := spec.Faults[0].Process
			state := demoenv.BrokerDir(cfg.StateDir, tc.version)
			if got := strings.Join(f.Restart, " "); !strings.HasSuffix(got, "--state "+state) {
				t.Errorf("restart %q does not name %s", got, state)
			}
			switch tc.version {
			case system.V1:
				if f.Selector.Port != tc.place.Broker.BasePort {
					t.Errorf("fault kills port %d, want the V1 broker's %d", f.Selector.Port, tc.place.Broker.BasePort)
				}
			case system.V2:
				if want := filepath.Join(state, "leader.pid"); f.Selector.PIDFile != want {
					t.Errorf("fault selects %s, want %s", f.Selector.PIDFile, want)
				}
			}
			var sawDrain, sawHealth bool
			for _, p := range spec.Probes {
				switch {
				case p.Mongo != nil:
					t.Errorf("mongo probe %s: the lost-order verdict belongs to the drain report, which waits for the system to drain", p.Name)
				case p.HTTP != nil && p.Mode == experiment.ModeEOT:
					sawDrain = drainProbeOK(t, p, tc.place.DeliveryAddr)
				case p.HTTP != nil && p.Mode == experiment.ModeContinuous:
					sawHealth = p.HTTP.URL == "http://"+tc.place.OrderAddr+"/healthz"
				case p.TCP != nil:
					var ok bool
					for i := 1; i <= tc.place.Broker.Nodes; i++ {
						ok = ok || p.TCP.Address == fmt.Sprintf("127.0.0.1:%d", tc.place.Broker.BasePort+i-1)
					}
					if !ok {
						t.Errorf("tcp probe %s checks %s, not a broker port", p.Name, p.TCP.Address)
					}
				}
			}
			if !sawDrain || !sawHealth {
				t.Errorf("want an EOT drain probe on the delivery service and a Continuous http probe on the order service (drain %v, health %v)", sawDrain, sawHealth)
			}
		})
	}
}

// drainProbeOK checks the lost-order probe: GET /drain of the version's
// delivery service with a stated drain bound and quiet period, a timeout
// above the bound, one observation (the wait is in the request), and a pass
// only on "lost 0".
func drainProbeOK(t *testing.T, p experiment.Probe, deliveryAddr string) bool {
	t.Helper()
	u, err := url.Parse(p.HTTP.URL)
	if err != nil || u.Host != deliveryAddr || u.Path != "/drain" {
		t.Errorf("EOT http probe %s asks %s, want %s/drain", p.Name, p.HTTP.URL, deliveryAddr)
		return false
	}
	within, err := time.ParseDuration(u.Query().Get("within"))
	if err != nil || u.Query().Get("quiet") == "" {
		t.Errorf("probe %s: %s does not state within= and quiet=", p.Name, p.HTTP.URL)
		return false
	}
	if p.Timeout.D() < within+30*time.Second || p.Retries != 0 {
		t.Errorf("probe %s: timeout %s, retries %d; want at least within (%s) + 30s and no retry", p.Name, p.Timeout, p.Retries, within)
	}
	if e := p.HTTP.Expect; e == nil || e.Op != experiment.OpMatches || e.Value != "^lost 0, " || p.HTTP.JSONPath != "" {
		t.Errorf("probe %s: expect %+v, want the whole body to match ^lost 0, ", p.Name, p.HTTP.Expect)
	}
	return true
}
