package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// reason is an activity error as one short line for a verdict: the
// innermost application error's message and type, without the activity
// error's wrapping (type, event IDs, identity); timeouts and other errors
// as they are.
func reason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if t := appErr.Type(); t != "" {
			return fmt.Sprintf("%s (%s)", appErr.Message(), t)
		}
		return appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return fmt.Sprintf("timed out (%s)", timeout.TimeoutType())
	}
	return err.Error()
}
