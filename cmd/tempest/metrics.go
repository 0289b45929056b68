package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/metrics"
	"github.com/tempest-chaos/tempest/worker"
)

// metricsAddrFlag is the flag addMetricsFlag registers.
const metricsAddrFlag = "metrics-addr"

// addMetricsFlag registers --metrics-addr on a command that runs a worker
// (worker, dev); serveMetrics reads it.
func addMetricsFlag(cmd *cobra.Command) {
	usage := "serve Prometheus metrics (Tempest's and the Temporal SDK's) on http://HOST:PORT/metrics; empty: none"
	if cmd.Name() == "dev" {
		usage += " (its worker's: not with --no-worker, give it to tempest worker then)"
	}
	cmd.Flags().String(metricsAddrFlag, "", usage)
}

// serveMetrics, when cmd's --metrics-addr is set, serves /metrics there
// and returns what the worker should run with instead: a client on the
// same connection whose SDK metrics go to that registry, and cfg with the
// recorder its activities report to. It also starts the watch of closed
// experiments (verdicts, durations, scores). stop undoes it all. Without
// the flag it returns c and cfg as they are.
func serveMetrics(cmd *cobra.Command, c client.Client, g *globalFlags, cfg worker.Config) (client.Client, worker.Config, func(), error) {
	addr := ""
	if f := cmd.Flags().Lookup(metricsAddrFlag); f != nil {
		addr = f.Value.String()
	}
	if addr == "" {
		return c, cfg, func() {}, nil
	}
	fail := func(err error) (client.Client, worker.Config, func(), error) {
		return nil, cfg, nil, &exitError{code: exitErrored, err: fmt.Errorf("--%s: %w", metricsAddrFlag, err)}
	}
	var kinds []string
	for _, k := range experiment.FaultKinds() {
		kinds = append(kinds, string(k))
	}
	rec := metrics.NewPrometheus(kinds...)
	reg, err := metrics.Registry(rec)
	if err != nil {
		return fail(err)
	}
	handler, stopSDK, err := metrics.SDKHandler(reg)
	if err != nil {
		return fail(err)
	}
	opts := client.Options{Namespace: g.namespace, Logger: sdkLogger(os.Stderr, slog.Level(g.logLevel)), MetricsHandler: handler}
	if g.connSettings != nil {
		// The new client encrypts and decrypts like c.
		opts.DataConverter, opts.FailureConverter = g.connSettings.DataConverter(), g.connSettings.FailureConverter()
	}
	mc, err := client.NewClientFromExisting(c, opts)
	if err != nil {
		stopSDK()
		return fail(err)
	}
	srv, err := metrics.Serve(addr, reg)
	if err != nil {
		mc.Close()
		stopSDK()
		return fail(err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "metrics on http://%s/metrics\n", srv.Addr())
	stopWatch := worker.WatchExperiments(mc, g.namespace, rec, 0)
	cfg.Metrics = rec
	return mc, cfg, func() {
		stopWatch()
		_ = srv.Close()
		mc.Close()
		stopSDK()
	}, nil
}
