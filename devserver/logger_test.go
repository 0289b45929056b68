package devserver

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/server/common/log/tag"
)

func TestLoggerDropsShutdownNoiseOnlyWhileStopping(t *testing.T) {
	var out bytes.Buffer
	stopping := &atomic.Bool{}
	logger := slogAdapter{
		logger:   slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn})),
		stopping: stopping,
	}.With(tag.NewStringTag("service", "frontend"))

	logger.Info("info is below the handler level")
	logger.Warn("running warning")
	logger.Error("running cancel", tag.Error(errors.New("Error: context canceled")))
	stopping.Store(true)
	logger.Warn("stopping warning")
	logger.Error("stopping cancel", tag.Error(errors.New("GetTasks failed. Error: context canceled")))
	logger.Error("stopping real error", tag.Error(errors.New("disk full")))
	logger.Fatal("fatal never exits")

	got := out.String()
	for _, want := range []string{"running warning", "running cancel", "stopping real error", "fatal never exits", "service=frontend"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"info is below", "stopping warning", "stopping cancel"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("log has %q:\n%s", unwanted, got)
		}
	}
}
