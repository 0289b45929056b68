package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			var sawMongo, sawHealth bool
			for _, p := range spec.Probes {
				switch {
				case p.Mongo != nil:
					sawMongo = true
					if p.Mongo.Database != tc.place.Database || p.Mongo.Filter != `{"isDelivered": false}` || !strings.HasSuffix(string(p.Mongo.URI), cfg.MongoAddr+"/") {
						t.Errorf("mongo probe %+v does not count undelivered orders in %s at %s", *p.Mongo, tc.place.Database, cfg.MongoAddr)
					}
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
			if !sawMongo || !sawHealth {
				t.Errorf("want an EOT mongo probe and a Continuous http probe on the order service (mongo %v, health %v)", sawMongo, sawHealth)
			}
		})
	}
}
