package network

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want []string // substrings of the error, field first; none: valid
	}{
		{"partition", Spec{Action: Partition}, nil},
		{"loss", Spec{Action: Loss, Percent: 0.5, Direction: Ingress}, nil},
		{"bandwidth", Spec{Action: Bandwidth, Rate: "1.5Mbit", Destination: Endpoint{CIDRs: []string{"10.0.0.0/8", "fd00::1"}, Ports: []int{80, 443}}}, nil},
		{"tbf", Spec{Action: Bandwidth, Rate: "512kbit", Shaper: TBF, Interface: "eth0"}, nil},
		{"no action", Spec{}, []string{"action: required"}},
		{"unknown action", Spec{Action: "delay"}, []string{`action: "delay" is not`}},
		{"bad cidr", Spec{Action: Partition, Destination: Endpoint{CIDRs: []string{"10.0.0.0/8", "10.0.0.300/8"}}},
			[]string{`destination.cidrs[1]: "10.0.0.300/8" is not an IP address or CIDR`}},
		{"bad source cidr", Spec{Action: Partition, Source: Endpoint{CIDRs: []string{"db.internal"}}}, []string{"source.cidrs[0]"}},
		{"port zero", Spec{Action: Partition, Destination: Endpoint{Ports: []int{0}}}, []string{"destination.ports[0]: 0 is not in 1-65535"}},
		{"port too big", Spec{Action: Partition, Source: Endpoint{Ports: []int{22, 70000}}}, []string{"source.ports[1]: 70000"}},
		{"loss over 100", Spec{Action: Loss, Percent: 130}, []string{"percent: 130 is not more than 0 and at most 100"}},
		{"loss zero", Spec{Action: Loss}, []string{"percent: 0 is not"}},
		{"loss too fine", Spec{Action: Loss, Percent: 0.001}, []string{"percent: 0.001 rounds to 0"}},
		{"percent on partition", Spec{Action: Partition, Percent: 10}, []string{"percent: only for action loss"}},
		{"bandwidth zero", Spec{Action: Bandwidth, Rate: "0mbit"}, []string{`rate: "0mbit" is not a positive rate`}},
		{"bandwidth missing", Spec{Action: Bandwidth}, []string{"rate: required"}},
		{"bandwidth bytes", Spec{Action: Bandwidth, Rate: "1MB"}, []string{`rate: "1MB" is not a rate`}},
		{"bandwidth tiny", Spec{Action: Bandwidth, Rate: "4bit"}, []string{"rate:", "less than 8 bit"}},
		{"rate on loss", Spec{Action: Loss, Percent: 1, Rate: "1mbit"}, []string{"rate: only for action bandwidth"}},
		{"bad direction", Spec{Action: Partition, Direction: "in"}, []string{`direction: "in"`}},
		{"bad protocol", Spec{Action: Partition, Protocol: "icmp"}, []string{`protocol: "icmp"`}},
		{"bad shaper", Spec{Action: Bandwidth, Rate: "1mbit", Shaper: "htb"}, []string{`shaper: "htb"`}},
		{"tbf without interface", Spec{Action: Bandwidth, Rate: "1mbit", Shaper: TBF}, []string{"interface: required for shaper tbf"}},
		{"tbf ingress", Spec{Action: Bandwidth, Rate: "1mbit", Shaper: TBF, Interface: "eth0", Direction: Ingress}, []string{"direction: shaper tbf shapes egress only"}},
		{"tbf with filters", Spec{Action: Bandwidth, Rate: "1mbit", Shaper: TBF, Interface: "eth0", Destination: Endpoint{Ports: []int{80}}}, []string{"shaper: tbf shapes the whole interface"}},
		{"bad interface", Spec{Action: Partition, Interface: "a/b"}, []string{`interface: "a/b"`}},
		{"namespace and pid", Spec{Action: Partition, Namespace: "x", PID: 5}, []string{"namespace: set namespace or pid, not both"}},
		{"namespace path", Spec{Action: Partition, Namespace: "../etc"}, []string{`namespace: "../etc" is not a namespace name`}},
		{"negative pid", Spec{Action: Partition, PID: -1}, []string{"pid: -1 is negative"}},
		{"too many rules", Spec{Action: Partition, Destination: Endpoint{CIDRs: many("10.0.0.%d", 20), Ports: make20Ports()}},
			[]string{"destination: the filters make 800 rules"}},
		{"several at once", Spec{Action: Loss, Percent: 200, Destination: Endpoint{Ports: []int{-1}}}, []string{"percent:", "destination.ports[0]:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Check()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func many(format string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, strings.ReplaceAll(format, "%d", itoa(i)))
	}
	return out
}

func make20Ports() []int {
	var out []int
	for i := range 20 {
		out = append(out, 1000+i)
	}
	return out
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestSpecJSON(t *testing.T) {
	var s Spec
	in := `{"action":"loss","percent":30,"direction":"egress","protocol":"udp",
		"destination":{"cidrs":["10.0.0.0/8"],"ports":[53]},"source":{"ports":[5353]},
		"namespace":"blue","interface":"eth0","allowSelfCut":true}`
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.Action != Loss || s.Percent != 30 || s.Destination.Ports[0] != 53 || s.Source.Ports[0] != 5353 || !s.AllowSelfCut || s.Namespace != "blue" {
		t.Errorf("decoded %+v", s)
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{"1mbit": 1e6, "512kbit": 512e3, "1.5gbit": 1.5e9, "800bit": 800, " 2Mbit ": 2e6} {
		got, err := parseRate(in)
		if err != nil || got != want {
			t.Errorf("parseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestTableNameIsStableAndDistinct(t *testing.T) {
	a := TableName("run", "f", 1)
	if a != TableName("run", "f", 1) || !strings.HasPrefix(a, TablePrefix) || len(a) != len(TablePrefix)+16 {
		t.Errorf("TableName = %q", a)
	}
	for _, other := range []string{TableName("run", "f", 2), TableName("run", "g", 1), TableName("run2", "f", 1), TableName("ru", "nf", 1)} {
		if other == a {
			t.Errorf("%q collides", other)
		}
	}
}

func TestMarkerFitsUserdata(t *testing.T) {
	m := Marker{Run: strings.Repeat("r", 36), Fault: strings.Repeat("f", 400), Injection: 12345,
		Qdisc: &Qdisc{Link: "eth0", Index: 3, Handle: 0x7fff0000, Kind: "tbf"}}
	b, err := m.encode()
	if err != nil || len(b) > maxMarker {
		t.Fatalf("encode = %d bytes, %v", len(b), err)
	}
	var back Marker
	if err := json.Unmarshal(b, &back); err != nil || back.Run != m.Run || back.Qdisc == nil || !strings.HasPrefix(m.Fault, back.Fault) {
		t.Errorf("marker %s, %v", b, err)
	}
}
