package mq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Handler processes one message body; with manual acks an error requeues it.
type Handler func(ctx context.Context, body []byte) error

// ConsumeConfig describes a consumer.
type ConsumeConfig struct {
	Queue   string
	Declare Declare
	// AutoAck makes the broker forget a message as soon as it is sent (V1);
	// otherwise it is acked after Handler succeeded (V2).
	AutoAck bool
	// Prefetch bounds unacked messages in flight (manual acks only).
	Prefetch int
	// Workers handle messages concurrently (default 1); acks may then come
	// out of order.
	Workers int
	// RetryEvery is the wait before reconnecting.
	RetryEvery time.Duration
	Logger     *slog.Logger
}

// Consume runs the consumer until ctx ends, reconnecting through d whenever
// the connection or channel closes. It returns ctx's error.
func Consume(ctx context.Context, d *Dialer, cfg ConsumeConfig, handle Handler) error {
	for {
		if err := consumeOnce(ctx, d, cfg, handle); err != nil && ctx.Err() == nil {
			cfg.Logger.Warn("consumer disconnected", "queue", cfg.Queue, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(cfg.RetryEvery):
		}
	}
}

func consumeOnce(ctx context.Context, d *Dialer, cfg ConsumeConfig, handle Handler) error {
	conn, err := d.Dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("mq: channel: %w", err)
	}
	if err := cfg.Declare(ch, cfg.Queue); err != nil {
		return err
	}
	if !cfg.AutoAck && cfg.Prefetch > 0 {
		if err := ch.Qos(cfg.Prefetch, 0, false); err != nil {
			return fmt.Errorf("mq: qos: %w", err)
		}
	}
	deliveries, err := ch.ConsumeWithContext(ctx, cfg.Queue, "", cfg.AutoAck, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("mq: consume: %w", err)
	}
	workers := max(cfg.Workers, 1)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for msg := range deliveries {
				herr := handle(ctx, msg.Body)
				if cfg.AutoAck {
					continue
				}
				if herr != nil {
					cfg.Logger.Warn("message requeued", "err", herr)
					_ = msg.Nack(false, true)
				} else {
					_ = msg.Ack(false) // a lost ack means a redelivery, which is idempotent
				}
			}
		})
	}
	wg.Wait()
	return errors.New("mq: deliveries closed")
}
