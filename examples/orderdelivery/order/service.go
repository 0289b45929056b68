package order

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/orders"
)

// Acceptor stores an order and hands it on to delivery.
type Acceptor interface {
	Accept(ctx context.Context, orderID string) error
}

// maxBody bounds a request body.
const maxBody = 4 << 10

// Service is the order service's HTTP side.
type Service struct {
	acceptor Acceptor
	logger   *slog.Logger
	registry *prometheus.Registry
	accepted prometheus.Counter
	failed   prometheus.Counter
}

// New returns an order service over acceptor; extra collectors (an
// acceptor's own metrics) are served on /metrics too.
func New(acceptor Acceptor, logger *slog.Logger, extra ...prometheus.Collector) *Service {
	s := &Service{
		acceptor: acceptor,
		logger:   logger,
		registry: prometheus.NewRegistry(),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderdelivery_order_accepted_total", Help: "Orders stored.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderdelivery_order_failed_total", Help: "Orders refused because the store failed.",
		}),
	}
	s.registry.MustRegister(append([]prometheus.Collector{s.accepted, s.failed}, extra...)...)
	return s
}

// Handler serves /order, /metrics and /healthz.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /order", s.create)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return mux
}

type request struct {
	OrderID string `json:"order_id"`
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) {
	var req request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil || req.OrderID == "" || len(req.OrderID) > 128 {
		http.Error(w, `body must be {"order_id": "<id>"} with a non-empty id of at most 128 bytes`, http.StatusBadRequest)
		return
	}
	err := s.acceptor.Accept(r.Context(), req.OrderID)
	switch {
	case errors.Is(err, orders.ErrDuplicate):
		http.Error(w, "order already exists", http.StatusConflict)
		return
	case err != nil:
		s.failed.Inc()
		s.logger.Warn("order refused", "order_id", req.OrderID, "err", err)
		http.Error(w, "order not stored", http.StatusServiceUnavailable)
		return
	}
	s.accepted.Inc()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"order_id": req.OrderID})
}
