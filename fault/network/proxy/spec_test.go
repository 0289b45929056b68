package proxy

import (
	"encoding/json"
	"strings"
	"testing"
)

// Each bad spec gets one line naming the field by its JSON path.
func TestValidateBadInput(t *testing.T) {
	latency := []Toxic{{Type: Latency, Latency: ms(100)}}
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"unknown stream", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Latency, Latency: ms(10), Stream: "sideways"}}},
			`toxics[0].stream: "sideways" is not upstream or downstream`},
		{"toxicity over 1", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Latency, Latency: ms(10), Toxicity: float(1.5)}}},
			`toxics[0].toxicity: 1.5 is not in 0..1`},
		{"toxicity below 0", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: ResetPeer}, {Type: Latency, Latency: ms(10), Toxicity: float(-0.1)}}},
			`toxics[1].toxicity: -0.1 is not in 0..1`},
		{"negative latency", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Latency, Latency: ms(-100)}}},
			`toxics[0].latency: -100ms is negative`},
		{"port that does not parse", Spec{Dependency: "10.0.0.5:postgres", Toxics: latency},
			`dependency: port "postgres" is not a number in 1-65535`},
		{"port out of range", Spec{Dependency: "10.0.0.5:70000", Toxics: latency},
			`dependency: port "70000" is not a number in 1-65535`},
		{"no port", Spec{Dependency: "10.0.0.5", Toxics: latency},
			`dependency: "10.0.0.5" is not IP:port (no port)`},
		{"host name", Spec{Dependency: "db.internal:5432", Toxics: latency},
			`dependency: "db.internal" is not an IP address (the redirect matches addresses: resolve a host name first)`},
		{"unknown type", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: "netem"}}},
			`toxics[0].type: "netem" is not latency, bandwidth, timeout, reset_peer, slow_close, limit_data or down`},
		{"attribute of another type", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: ResetPeer, Latency: ms(5)}}},
			`toxics[0].latency: not an attribute of type reset_peer`},
		{"jitter over latency", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Latency, Latency: ms(10), Jitter: ms(20)}}},
			`toxics[0].jitter: 20ms is more than latency 10ms (the delay would go below zero)`},
		{"sub-millisecond", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: SlowClose, Delay: ms(1) / 2}}},
			`toxics[0].delay: 500µs is not a whole number of milliseconds`},
		{"bandwidth rate", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Bandwidth, Rate: "1kbit"}}},
			`toxics[0].rate: "1kbit" is less than 8kbit (Toxiproxy counts whole kilobytes per second)`},
		{"bandwidth rate that does not parse", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Bandwidth, Rate: "fast"}}},
			`toxics[0].rate: "fast" is not a rate: a number with unit bit, kbit, mbit or gbit (per second)`},
		{"negative bytes", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: LimitData, Bytes: -1}}},
			`toxics[0].bytes: -1 is negative`},
		{"down with another", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Down}, {Type: ResetPeer}}},
			`toxics[0].type: down takes the proxy down: it is the only toxic of its fault`},
		{"down with a stream", Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Down, Stream: Upstream}}},
			`toxics[0].stream: down takes no stream: it acts on the whole proxy`},
		{"no toxics", Spec{Dependency: "10.0.0.5:5432"},
			`toxics: at least one toxic is required`},
		{"unknown mode", Spec{Mode: "sidecar", Toxics: latency},
			`mode: "sidecar" is not transparent or named`},
		{"transparent without dependency", Spec{Toxics: latency},
			`dependency: required in mode transparent: the "IP:port" the application dials`},
		{"namespace and pid", Spec{Dependency: "10.0.0.5:5432", Namespace: "app", PID: 42, Toxics: latency},
			`namespace: set namespace or pid, not both`},
		{"server in transparent", Spec{Dependency: "10.0.0.5:5432", Server: "http://127.0.0.1:8474", Toxics: latency},
			`server: only in mode named`},
		{"named without proxy", Spec{Mode: Named, Server: "http://127.0.0.1:8474", Toxics: latency},
			`proxy: required in mode named: the name of the proxy on the server`},
		{"named server port", Spec{Mode: Named, Server: "127.0.0.1:84x4", Proxy: "db", Toxics: latency},
			`server: "127.0.0.1:84x4" is not a URL: invalid port ":84x4" after host`},
		{"named server credentials", Spec{Mode: Named, Server: "http://admin:hunter2@127.0.0.1:8474", Proxy: "db", Toxics: latency},
			`server: "http://admin:xxxxx@127.0.0.1:8474" carries credentials; Tempest records the server in the run's history: put none in it`},
		{"named with dependency", Spec{Mode: Named, Server: "127.0.0.1:8474", Proxy: "db", Dependency: "10.0.0.5:5432", Toxics: latency},
			`dependency: only in mode transparent`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Check()
			if err == nil {
				t.Fatalf("Check() = nil, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Check() = %q\nwant        %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// Good specs pass, decode from JSON as a kind's YAML would give them, and
// compile to the attributes Toxiproxy takes.
func TestValidateGoodSpecs(t *testing.T) {
	var s Spec
	raw := `{"dependency": "[fd00::5]:5432", "toxics": [
		{"type": "latency", "latency": "100ms", "jitter": "10ms", "stream": "upstream", "toxicity": 0.5},
		{"type": "bandwidth", "rate": "1mbit"},
		{"type": "timeout", "timeout": "2s"},
		{"type": "reset_peer"},
		{"type": "slow_close", "delay": "1s"},
		{"type": "limit_data", "bytes": 1024}]}`
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	c, err := s.compile()
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.mode != Transparent || c.dependency.String() != "[fd00::5]:5432" {
		t.Errorf("mode %s, dependency %s", c.mode, c.dependency)
	}
	want := []string{
		`{"type":"latency","stream":"upstream","toxicity":0.5,"attributes":{"jitter":10,"latency":100}}`,
		`{"type":"bandwidth","stream":"downstream","toxicity":1,"attributes":{"rate":125}}`,
		`{"type":"timeout","stream":"downstream","toxicity":1,"attributes":{"timeout":2000}}`,
		`{"type":"reset_peer","stream":"downstream","toxicity":1,"attributes":{"timeout":0}}`,
		`{"type":"slow_close","stream":"downstream","toxicity":1,"attributes":{"delay":1000}}`,
		`{"type":"limit_data","stream":"downstream","toxicity":1,"attributes":{"bytes":1024}}`,
	}
	for i, w := range c.toxics {
		b, _ := json.Marshal(w)
		if string(b) != want[i] {
			t.Errorf("toxics[%d] = %s, want %s", i, b, want[i])
		}
	}
	named := Spec{Mode: Named, Server: "127.0.0.1:8474", Proxy: "db", Toxics: []Toxic{{Type: Down}}}
	if err := named.Check(); err != nil {
		t.Errorf("named down: %v", err)
	}
}

func TestToxicNameRoundTrip(t *testing.T) {
	for _, run := range []string{"0b8e-4f1c", "wf_with_underscores/run", "exp orders?#%/8f0e!2F", "a"} {
		name := ToxicName(run, "fault", 3, 1)
		if strings.ContainsAny(name, "/?#% ") {
			t.Errorf("ToxicName(%q) = %q: not safe in a URL path segment", run, name)
		}
		got, ok := ParseToxicName(name)
		if !ok || got != run {
			t.Errorf("ParseToxicName(%q) = %q, %v; want %q", name, got, ok, run)
		}
	}
	for _, name := range []string{"latency_downstream", "tempest_", "tempest_run_xyz_1", "tempest_run_0123456789_1", "tempest_bad!G0_01234567_1"} {
		if run, ok := ParseToxicName(name); ok {
			t.Errorf("ParseToxicName(%q) = %q, want not ours", name, run)
		}
	}
}

func TestApplyDefaults(t *testing.T) {
	s := Spec{Dependency: "10.0.0.5:5432", Toxics: []Toxic{{Type: Latency, Latency: ms(5)}, {Type: Down}}}
	before, _ := Spec{Dependency: s.Dependency, Toxics: []Toxic{s.Toxics[0]}}.compile()
	s.ApplyDefaults()
	if s.Mode != Transparent || s.Toxics[0].Stream != Downstream || s.Toxics[0].Toxicity == nil || *s.Toxics[0].Toxicity != 1 {
		t.Errorf("defaults = %+v", s)
	}
	if s.Toxics[1].Stream != "" || s.Toxics[1].Toxicity != nil {
		t.Errorf("down got a stream or toxicity: %+v", s.Toxics[1])
	}
	after, err := Spec{Mode: s.Mode, Dependency: s.Dependency, Toxics: []Toxic{s.Toxics[0]}}.compile()
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(before.toxics)
	b2, _ := json.Marshal(after.toxics)
	if string(b1) != string(b2) {
		t.Errorf("defaults change the toxic: %s, then %s", b1, b2)
	}
}
