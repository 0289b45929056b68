package system

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/broker"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/ferretsqlite"
	"github.com/tempest-chaos/tempest/examples/orderdelivery/orders"
	"github.com/tempest-chaos/tempest/mongoembed"
)

// database is the database the integration tests use.
const database = "delivery"

// startMongo starts an embedded FerretDB for one test, with the orders
// collection indexed as the demo indexes it (package ferretsqlite).
func startMongo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	srv, err := mongoembed.Start(t.Context(), mongoembed.Config{Dir: dir})
	if err != nil {
		t.Fatalf("embedded FerretDB: %v", err)
	}
	t.Cleanup(srv.Close)
	store, err := orders.Open(t.Context(), srv.URI(), database)
	if err != nil {
		t.Fatal(err)
	}
	_ = store.Close(t.Context())
	if err := ferretsqlite.IndexIDs(t.Context(), dir, database, orders.Collection); err != nil {
		t.Fatal(err)
	}
	return srv.URI()
}

// startBrokers starts a real RabbitMQ cluster and stops it, with every
// process, when the test ends.
func startBrokers(t *testing.T, cfg broker.Config) *broker.Cluster {
	t.Helper()
	// A RabbitMQ node on this loaded 2-core machine occasionally never comes
	// up (no log at all); the start is tried twice, each from a fresh state
	// dir, so the test judges the system, not the package's start-up.
	var errs []error
	for attempt := 1; attempt <= 2; attempt++ {
		cfg.StateDir = t.TempDir()
		c, err := broker.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Second)
		start := time.Now()
		err = c.Start(ctx)
		cancel()
		if err == nil {
			t.Cleanup(func() {
				if err := c.Stop(5 * time.Second); err != nil {
					t.Errorf("stop brokers: %v", err)
				}
			})
			t.Logf("RabbitMQ %d node(s) ready in %v (attempt %d)", cfg.Nodes, time.Since(start).Round(time.Millisecond), attempt)
			return c
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
		if err := c.Stop(5 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("stop after failed start: %w", err))
		}
	}
	t.Fatalf("start RabbitMQ (needs rabbitmq-server: apt-get install -y rabbitmq-server): %v", errors.Join(errs...))
	return nil
}

// loadResult counts the outcome of sendOrders.
type loadResult struct {
	sent, ok atomic.Int64
}

// sendOrders posts one new order every 1/rate for d, without waiting for
// answers before the next one (an open model, like the experiment's load).
func sendOrders(ctx context.Context, orderURL string, rate int, d time.Duration) *loadResult {
	res := &loadResult{}
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.After(d)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return res
		case <-end:
			return res
		case <-tick.C:
		}
		res.sent.Add(1)
		wg.Go(func() {
			body := fmt.Sprintf(`{"order_id": %q}`, newID())
			resp, err := client.Post(orderURL+"/order", "application/json", bytes.NewBufferString(body))
			if err != nil {
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				res.ok.Add(1)
			}
		})
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// undeliveredAfter polls the store until the undelivered count reaches
// want or d passes, and returns the last count.
func undeliveredAfter(t *testing.T, s *System, want int64, d time.Duration) int64 {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		n, err := s.Store().CountUndelivered(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// drainReport asks the delivery service's GET /drain (see package
// delivery) and returns its status and body.
func drainReport(t *testing.T, s *System, query string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.DeliveryURL + "/drain?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(body))
}
