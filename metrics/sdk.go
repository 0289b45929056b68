package metrics

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// SDKLatencyBuckets are the buckets, in seconds, of the Temporal SDK's
// latency histograms (OpenTelemetry's default buckets suit milliseconds).
var SDKLatencyBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// SDKHandler returns a Temporal client.MetricsHandler whose metrics
// (temporal_request_total, temporal_workflow_task_execution_latency_seconds,
// ...) are served from reg, through OpenTelemetry's Prometheus exporter.
// Pass it as client.Options.MetricsHandler; shutdown stops the exporter.
func SDKHandler(reg prometheus.Registerer) (h client.MetricsHandler, shutdown func(), err error) {
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
		otelprom.WithAggregationSelector(func(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
			if k == sdkmetric.InstrumentKindHistogram {
				return sdkmetric.AggregationExplicitBucketHistogram{Boundaries: SDKLatencyBuckets}
			}
			return sdkmetric.DefaultAggregationSelector(k)
		}),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("temporal sdk metrics: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	h = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                mp.Meter("go.temporal.io/sdk"),
		UseMonotonicCounters: true,           // counters as Prometheus counters (_total)
		OnError:              func(error) {}, // a metric the SDK cannot make is lost, never a panic
	})
	return h, func() { _ = mp.Shutdown(context.Background()) }, nil
}
