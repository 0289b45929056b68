package load

import (
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

func TestValidateReportsEveryFieldPath(t *testing.T) {
	spec := experiment.Load{
		Rate:     "100/s",
		Duration: experiment.Duration(time.Second),
		Targets: []experiment.LoadTarget{
			{URL: "http://127.0.0.1:1/{{uuid}}"},
			{URL: "ftp://x"},
			{URL: "http://127.0.0.1:1/", Body: "{{nonsense}}"},
			{URL: "http://127.0.0.1:1/", Body: "{{choice a b}}", Weight: -1},
		},
		Thresholds: map[string][]string{"http_reqs": {"rate>>5"}},
	}
	err := Validate(spec)
	if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec {
		t.Fatalf("want InvalidSpec, got %v", err)
	}
	for _, want := range []string{
		"spec.load.targets[1].url", "spec.load.targets[2].body: unknown placeholder {{nonsense}}",
		"spec.load.targets[3].weight", `spec.load.thresholds["http_reqs"][0]`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "targets[0]") {
		t.Errorf("a valid target was reported: %v", err)
	}
	spec.Targets, spec.Thresholds = spec.Targets[:1], nil
	if err := Validate(spec); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
}

func TestRunRefusesUnresolvableHeaderSecret(t *testing.T) {
	spec := constantLoad("http://127.0.0.1:1/", "1/s", time.Second)
	spec.Targets[0].Headers = map[string]experiment.SecretRef{"Authorization": "env:TEMPEST_LOAD_TEST_UNSET_SECRET"}
	_, err := Run(t.Context(), spec, Options{})
	if typ, _ := errkind.TypeOf(err); typ != errkind.SecretUnavailable || !strings.Contains(err.Error(), "spec.load.targets[0].headers[Authorization]") {
		t.Fatalf("want SecretUnavailable with the field path, got %v", err)
	}
}

func TestHeadersAreResolvedAndSent(t *testing.T) {
	tg := startTarget(t, nil)
	got := make(chan string, 10)
	tg.Config.Handler = headerRecorder(got)
	t.Setenv("TEMPEST_LOAD_TEST_TOKEN", "s3cret")
	spec := constantLoad(tg.URL, "5/s", 200*time.Millisecond)
	spec.Targets[0].Headers = map[string]experiment.SecretRef{"Authorization": "env:TEMPEST_LOAD_TEST_TOKEN", "X-Plain": "literal"}
	if _, err := Run(t.Context(), spec, Options{}); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h != "s3cret|literal" {
		t.Fatalf("headers received: %q", h)
	}
}
