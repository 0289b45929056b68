package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
)

// newLogger is the logger of the embedded server and the Temporal SDK: w
// at level min, with the records that say nothing went wrong (see
// expectedLog) lowered to debug.
func newLogger(w io.Writer, min slog.Level) *slog.Logger {
	return slog.New(&expectedFilter{Handler: slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}), min: min})
}

// sdkLogger is newLogger for the Temporal SDK.
func sdkLogger(w io.Writer, min slog.Level) log.Logger {
	return log.NewStructuredLogger(newLogger(w, min))
}

// expectedFilter drops records below min, after lowering the expected
// ones to debug.
type expectedFilter struct {
	slog.Handler
	min slog.Level
}

func (h *expectedFilter) Enabled(_ context.Context, level slog.Level) bool { return level >= h.min }

func (h *expectedFilter) Handle(ctx context.Context, r slog.Record) error {
	if expectedLog(r) {
		r.Level = slog.LevelDebug
	}
	if r.Level < h.min {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *expectedFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &expectedFilter{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h *expectedFilter) WithGroup(name string) slog.Handler {
	return &expectedFilter{Handler: h.Handler.WithGroup(name), min: h.min}
}

// expectedLog reports whether a record at warn or error level describes
// something that went as designed:
//   - the server's "GetHistory page size is larger than threshold", which
//     every Web UI view of a workflow's history logs twice (the UI asks
//     for 1000 events a page);
//   - the server's "service failures" with gRPC code Unimplemented: the
//     UI asking for a feature the dev server has switched off;
//   - any record whose error is a cancellation: an activity learns it is
//     canceled from its heartbeat ("RecordActivityHeartbeat with error",
//     warn), and a watching probe canceled by an abort or a halt returns
//     its partial result as a CanceledError (activities/probe_watch.go),
//     which the SDK logs as "Activity error." at error level (it lowers
//     only a benign ApplicationError).
func expectedLog(r slog.Record) bool {
	if r.Level < slog.LevelWarn {
		return false
	}
	canceled := false
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && (temporal.IsCanceledError(err) || errors.Is(err, context.Canceled)) {
			canceled = true
		}
		return !canceled
	})
	if canceled {
		return true
	}
	switch r.Message {
	case "GetHistory page size is larger than threshold":
		return true
	case "service failures":
		found := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "grpc_code" && a.Value.String() == "Unimplemented" {
				found = true
			}
			return !found
		})
		return found
	}
	return false
}
