package experiment

import (
	"errors"
	"strings"
	"testing"
)

const paramSpec = `kind: Experiment
metadata: {name: "params-${ENVNAME:-local}"}
spec:
  faults:
    - name: kill
      duration: ${DURATION:-5s}
      process:
        selector: {port: ${PORT}}   # the target's ${COMMENTED} port
        restart: ["./target", "-addr", "${HOST:-127.0.0.1}:${PORT}", "-cost", "$$5"]
  probes:
    - name: up
      mode: EOT
      http:
        url: http://${HOST:-127.0.0.1}:${PORT}/healthz
        headers: {Authorization: "Bearer ${TOKEN}", X-Key: env:API_KEY, X-Cost: "$$1"}
`

func env(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestResolveParams(t *testing.T) {
	out, used, warnings, err := ResolveParams([]byte(paramSpec), Params{
		Set: map[string]string{"PORT": "18081"},
		Env: env(map[string]string{"PORT": "9999", "ENVNAME": "staging", "HOST": "", "TOKEN": "s3cret"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Decode("params.yaml", out)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	f := exp.Spec.Faults[0]
	// --set wins over the environment.
	if f.Process.Selector.Port != 18081 {
		t.Errorf("port %d, want 18081 from --set", f.Process.Selector.Port)
	}
	// The environment; a default; $$.
	if exp.Metadata.Name != "params-staging" {
		t.Errorf("name %q, want params-staging from the environment", exp.Metadata.Name)
	}
	if got := strings.Join(f.Process.Restart, " "); got != "./target -addr 127.0.0.1:18081 -cost $5" {
		t.Errorf("restart %q", got)
	}
	if f.Duration.String() != "5s" {
		t.Errorf("duration %v, want the default 5s", f.Duration)
	}
	h := exp.Spec.Probes[0].HTTP
	if h.URL != "http://127.0.0.1:18081/healthz" {
		t.Errorf("url %q", h.URL)
	}
	// Secret fields stay exactly as written.
	for k, want := range map[string]SecretRef{"Authorization": "Bearer ${TOKEN}", "X-Key": "env:API_KEY", "X-Cost": "$$1"} {
		if h.Headers[k] != want {
			t.Errorf("header %s = %q, want %q untouched", k, h.Headers[k], want)
		}
	}
	if strings.Contains(string(out), "s3cret") {
		t.Error("a secret field was resolved")
	}
	// The comment is left alone: COMMENTED is not set and not refused.
	if !strings.Contains(string(out), "${COMMENTED}") {
		t.Error("the comment was changed")
	}
	if len(warnings) != 1 || warnings[0].Path != "spec.probes[0].http.headers.Authorization" || warnings[0].Line != 15 ||
		!strings.Contains(warnings[0].Msg, "${TOKEN}") {
		t.Errorf("warnings %v", warnings)
	}
	var got []string
	for _, p := range used {
		got = append(got, p.String())
	}
	want := "DURATION=5s (default), ENVNAME=staging (environment), HOST=127.0.0.1 (default), PORT=18081 (--set)"
	if strings.Join(got, ", ") != want {
		t.Errorf("used %s\nwant %s", strings.Join(got, ", "), want)
	}
}

func TestResolveParamsKeepsLines(t *testing.T) {
	doc := strings.Replace(paramSpec, "${DURATION:-5s}", "${DURATION}", 1)
	out, _, _, err := ResolveParams([]byte(doc), Params{Set: map[string]string{"PORT": "1", "DURATION": "0s"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decode("params.yaml", out)
	if err == nil || !strings.Contains(err.Error(), "spec.faults[0].duration: must be > 0 (line 6)") {
		t.Fatalf("decode error %v, want the duration's path and line 6", err)
	}
}

func TestResolveParamsRefuses(t *testing.T) {
	cases := []struct {
		name, doc string
		set       map[string]string
		want      string
	}{
		{"unset", paramSpec, nil, "line 8: ${PORT} is not set: pass --set PORT=VALUE"},
		{"unclosed", "a: ${PORT\n", nil, "line 1: ${ without a closing }"},
		{"bad name", "a: b\nc: ${1X}\n", nil, "line 2: ${1X}: a parameter is ${NAME}"},
		{"line break", "a: ${X}\n", map[string]string{"X": "1\n2"}, "line 1: ${X}: its value (--set) has a line break"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := ResolveParams([]byte(tc.doc), Params{Set: tc.set, Env: env(nil)})
			var se *SpecError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Problems[0].Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.name == "unset" && len(se.Problems) != 1 {
				t.Fatalf("one problem per unset parameter's first use expected, got %v", se.Problems)
			}
		})
	}
}

func TestResolveParamsLeavesPlainDollars(t *testing.T) {
	doc := "a: ^ok$\nb: $HOME\n"
	out, used, _, err := ResolveParams([]byte(doc), Params{})
	if err != nil || string(out) != doc || len(used) != 0 {
		t.Fatalf("got %q %v %v", out, used, err)
	}
}

// FuzzResolveParams: no input panics, and a resolved document has as many
// lines as its source (decode errors keep their lines).
func FuzzResolveParams(f *testing.F) {
	f.Add(paramSpec, "18081")
	f.Add("a: ${X:-}\nb: '$$${X}' # ${Y}\n", "v")
	f.Add("h: {headers: {A: \"${X\"}}\n", "")
	f.Fuzz(func(t *testing.T, doc, value string) {
		out, _, _, err := ResolveParams([]byte(doc), Params{Set: map[string]string{"PORT": value, "X": value}, Env: env(map[string]string{"HOST": value})})
		if err != nil {
			return
		}
		if got, want := strings.Count(string(out), "\n"), strings.Count(doc, "\n"); got != want {
			t.Fatalf("%d lines from %d:\n%q\n%q", got, want, doc, out)
		}
	})
}
