package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/errkind"
)

// NonRetryableTypes lists the ApplicationError types that are never retried.
var NonRetryableTypes = []string{
	errkind.InvalidSpec,
	errkind.Forbidden,
	errkind.UnknownTarget,
	errkind.NoTargets,
	errkind.Refused,
	errkind.SecretUnavailable,
	errkind.Fenced,
	errkind.Misrouted,
}

// classify turns a classified error into a non-retryable ApplicationError and
// leaves every other error as it is (retryable).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	if typ, ok := errkind.TypeOf(err); ok {
		return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
	}
	return err
}
