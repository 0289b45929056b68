// Package secret resolves experiment.SecretRef values on the worker. Only
// activities call it, so resolved values never enter workflow history.
package secret

import (
	"context"
	"fmt"

	"os"
	"strings"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// Resolver resolves secret references. The zero value resolves env: and
// file: references; K8s, when set, resolves k8s:namespace/name/key.
type Resolver struct {
	// K8s reads one key of a Kubernetes Secret.
	K8s func(ctx context.Context, namespace, name, key string) (string, error)
}

// Resolve returns the value ref stands for. Errors name the reference, never
// a value.
func (r Resolver) Resolve(ctx context.Context, ref experiment.SecretRef) (string, error) {
	s := string(ref)
	switch {
	case strings.HasPrefix(s, "env:"):
		name := strings.TrimPrefix(s, "env:")
		v, ok := os.LookupEnv(name)
		if !ok {
			return "", errkind.New(errkind.SecretUnavailable, "secret %s: environment variable %s is not set on the worker", s, name)
		}
		return v, nil
	case strings.HasPrefix(s, "file:"):
		path := strings.TrimPrefix(s, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			return "", errkind.New(errkind.SecretUnavailable, "secret %s: %w", s, err)
		}
		return strings.TrimSpace(string(b)), nil
	case strings.HasPrefix(s, "k8s:"):
		parts := strings.Split(strings.TrimPrefix(s, "k8s:"), "/")
		if len(parts) != 3 {
			return "", errkind.New(errkind.InvalidSpec, "secret %s: want k8s:namespace/name/key", s)
		}
		if r.K8s == nil {
			return "", errkind.New(errkind.SecretUnavailable, "secret %s: this worker has no Kubernetes access", s)
		}
		v, err := r.K8s(ctx, parts[0], parts[1], parts[2])
		if err != nil {
			return "", errkind.New(errkind.SecretUnavailable, "secret %s: %w", s, err)
		}
		return v, nil
	default:
		return s, nil
	}
}

// IsReference reports whether ref points elsewhere rather than being a literal.
func IsReference(ref experiment.SecretRef) bool {
	for _, p := range []string{"env:", "file:", "k8s:"} {
		if strings.HasPrefix(string(ref), p) {
			return true
		}
	}
	return false
}

// Redact replaces every occurrence of the given secret values in s.
func Redact(s string, values ...string) string {
	for _, v := range values {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// ResolveMap resolves every value of refs (headers, environment). secrets
// lists the values that came from references, for Redact; an error names
// the key, never a value.
func (r Resolver) ResolveMap(ctx context.Context, refs map[string]experiment.SecretRef) (values map[string]string, secrets []string, err error) {
	values = make(map[string]string, len(refs))
	for name, ref := range refs {
		v, err := r.Resolve(ctx, ref)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		if IsReference(ref) {
			secrets = append(secrets, v)
		}
		values[name] = v
	}
	return values, secrets, nil
}
