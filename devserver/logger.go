package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogAdapter lets the Temporal server log through a *slog.Logger. Levels
// are filtered by the slog handler. Panic and Fatal are logged as errors and
// do not exit: an embedded server must never kill its host process.
//
// Once stopping is set, records below error level and errors caused by the
// shutdown's own cancellation are dropped: while the server shuts down its
// internal workers complain about every call the stopping services refuse,
// which says nothing useful.
type slogAdapter struct {
	logger   *slog.Logger
	stopping *atomic.Bool
}

var (
	_ log.Logger      = slogAdapter{}
	_ log.WithLogger  = slogAdapter{}
	_ log.SLogWrapper = slogAdapter{}
)

func (a slogAdapter) Debug(msg string, tags ...tag.Tag)  { a.log(slog.LevelDebug, msg, tags) }
func (a slogAdapter) Info(msg string, tags ...tag.Tag)   { a.log(slog.LevelInfo, msg, tags) }
func (a slogAdapter) Warn(msg string, tags ...tag.Tag)   { a.log(slog.LevelWarn, msg, tags) }
func (a slogAdapter) Error(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) DPanic(msg string, tags ...tag.Tag) { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) Panic(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) Fatal(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }

// With returns a logger that prepends tags to every record.
func (a slogAdapter) With(tags ...tag.Tag) log.Logger {
	return slogAdapter{logger: slog.New(a.logger.Handler().WithAttrs(tagsToAttrs(tags))), stopping: a.stopping}
}

// SLog exposes the underlying logger to server code that wants slog.
func (a slogAdapter) SLog() *slog.Logger { return a.logger }

func (a slogAdapter) log(level slog.Level, msg string, tags []tag.Tag) {
	// The server's logging interface carries no context.
	ctx := context.TODO()
	if a.stopping.Load() && (level < slog.LevelError || canceledByShutdown(tags)) {
		return
	}
	if !a.logger.Enabled(ctx, level) {
		return
	}
	a.logger.LogAttrs(ctx, level, msg, tagsToAttrs(tags)...)
}

func tagsToAttrs(tags []tag.Tag) []slog.Attr {
	attrs := make([]slog.Attr, len(tags))
	for i, t := range tags {
		attrs[i] = slog.Any(t.Key(), t.Value())
	}
	return attrs
}

// canceledByShutdown reports whether an error tag says "context canceled"
// (server errors carry it as text across gRPC hops, and zap tags render
// errors as strings).
func canceledByShutdown(tags []tag.Tag) bool {
	for _, t := range tags {
		if !strings.Contains(strings.ToLower(t.Key()), "error") {
			continue
		}
		if strings.Contains(fmt.Sprint(t.Value()), context.Canceled.Error()) {
			return true
		}
	}
	return false
}
