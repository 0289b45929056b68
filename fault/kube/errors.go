package kube

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/tempest-chaos/tempest/errkind"
)

// APIError classifies an API server error for one request. The message names
// the verb, the resource and the namespace ("" for cluster-scoped ones).
func APIError(err error, verb, resource, namespace string) error {
	if err == nil {
		return nil
	}
	where := "cluster-wide"
	if namespace != "" {
		where = fmt.Sprintf("in namespace %q", namespace)
	}
	switch {
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return errkind.New(errkind.Forbidden, "%s %s %s: forbidden by the API server: %w", verb, resource, where, err)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return errkind.New(errkind.InvalidSpec, "%s %s %s: rejected by the API server: %w", verb, resource, where, err)
	default:
		return fmt.Errorf("%s %s %s: %w", verb, resource, where, err)
	}
}
