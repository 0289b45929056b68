package secret

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

func TestResolve(t *testing.T) {
	t.Setenv("TEMPEST_SECRET_TEST", "from-env")
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := Resolver{}
	for ref, want := range map[experiment.SecretRef]string{
		"env:TEMPEST_SECRET_TEST":            "from-env",
		experiment.SecretRef("file:" + file): "from-file",
		"literal":                            "literal",
	} {
		got, err := r.Resolve(context.Background(), ref)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
}

func TestUnresolvableNamesTheReferenceNotAValue(t *testing.T) {
	_, err := Resolver{}.Resolve(context.Background(), "env:TEMPEST_SECRET_UNSET")
	if typ, _ := errkind.TypeOf(err); typ != errkind.SecretUnavailable {
		t.Fatalf("got %v, want SecretUnavailable", err)
	}
	if !strings.Contains(err.Error(), "TEMPEST_SECRET_UNSET") {
		t.Fatalf("error %q does not name the reference", err)
	}
	if _, err := (Resolver{}).Resolve(context.Background(), "k8s:ns/name/key"); err == nil {
		t.Fatal("k8s: resolved without Kubernetes access")
	}
}

func TestResolveMapListsOnlyReferencedValuesAsSecrets(t *testing.T) {
	t.Setenv("TEMPEST_SECRET_TEST", "s3cr3t")
	values, secrets, err := Resolver{}.ResolveMap(context.Background(), map[string]experiment.SecretRef{
		"Authorization": "env:TEMPEST_SECRET_TEST",
		"Accept":        "application/json",
	})
	if err != nil {
		t.Fatal(err)
	}
	if values["Authorization"] != "s3cr3t" || values["Accept"] != "application/json" {
		t.Fatalf("values %v", values)
	}
	if len(secrets) != 1 || secrets[0] != "s3cr3t" {
		t.Fatalf("secrets %v, want only the referenced value", secrets)
	}
	if got := Redact("token s3cr3t!", secrets...); got != "token [redacted]!" {
		t.Fatalf("Redact: %q", got)
	}
}
