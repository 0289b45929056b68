package system

import "github.com/prometheus/client_golang/prometheus"

// relayMetrics counts the outbox relay's outcomes (an outbox.Observer).
type relayMetrics struct {
	confirmed prometheus.Counter
	retries   prometheus.Counter
}

func newRelayMetrics() *relayMetrics {
	return &relayMetrics{
		confirmed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderdelivery_outbox_confirmed_total", Help: "Outbox entries the broker confirmed.",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderdelivery_outbox_retries_total", Help: "Relay attempts that left entries unconfirmed.",
		}),
	}
}

func (m *relayMetrics) Confirmed(n int) { m.confirmed.Add(float64(n)) }
func (m *relayMetrics) Retried(error)   { m.retries.Inc() }
func (m *relayMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.confirmed, m.retries}
}
