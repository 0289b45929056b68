// Package prometheus is a test harness that runs a real Prometheus server
// (Debian's /usr/bin/prometheus, 2.42) on a free 127.0.0.1 port, scraping
// given targets, so probe tests query real PromQL.
//
// Contract:
//   - Start writes a temporary config (one job, "tempest-test", scraping
//     each target's /metrics every ScrapeInterval, default 1s), starts the
//     binary with its TSDB in a temp dir, waits until /-/ready answers, and
//     stops the process in t.Cleanup.
//   - A missing binary or a server that does not become ready is t.Fatal
//     with the reason and the install hint, never a skip.
//   - WaitFor blocks until an instant query returns a non-empty result, so
//     tests start once a scrape has landed. Prometheus 2.x applies scrape
//     targets on a 5s reload tick, so the first sample lands about 5s after
//     Start: budget for it.
//
// Install: apt-get install -y prometheus (the Debian package; its service
// need not run, the harness starts its own process).
package prometheus
