package kube_test

import (
	"strings"
	"testing"

	"github.com/tempest-chaos/tempest/errkind"
)

func assertKind(t *testing.T, err error, want string, mentions ...string) {
	t.Helper()
	got, ok := errkind.TypeOf(err)
	if !ok || got != want {
		t.Fatalf("error %v: kind %q, want %q", err, got, want)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("error %q does not mention %q", err, m)
		}
	}
}
