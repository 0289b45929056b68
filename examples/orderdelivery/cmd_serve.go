package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/system"
	"github.com/tempest-chaos/tempest/mongoembed"
)

func serveCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	version := fs.String("version", "", "v1 or v2")
	mongoURI := fs.String("mongo-uri", os.Getenv("MONGO_URI"), "MongoDB URI (default: an embedded FerretDB)")
	mongoAddr := fs.String("mongo-addr", "127.0.0.1:27117", "listen address of the embedded FerretDB")
	state := fs.String("state", filepath.Join(defaultStateDir(), "serve"), "directory of the embedded FerretDB's files")
	database := fs.String("database", "delivery", "database name")
	brokers := fs.String("brokers", "amqp://guest:guest@127.0.0.1:5672/", "comma-separated AMQP URLs")
	orderAddr := fs.String("order-addr", "127.0.0.1:18081", "order service listen address")
	deliveryAddr := fs.String("delivery-addr", "127.0.0.1:18082", "delivery service listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mongoURI == "" {
		srv, err := mongoembed.Start(ctx, mongoembed.Config{Dir: *state, Addr: *mongoAddr})
		if err != nil {
			return fmt.Errorf("serve: embedded FerretDB: %w", err)
		}
		defer srv.Close()
		*mongoURI = srv.URI()
	}
	sys, err := system.Start(ctx, system.Config{
		Version: system.Version(*version), MongoURI: *mongoURI, Database: *database,
		BrokerURLs: strings.Split(*brokers, ","), OrderAddr: *orderAddr, DeliveryAddr: *deliveryAddr,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		return err
	}
	fmt.Printf("order service %s, delivery service %s, MongoDB %s\n", sys.OrderURL, sys.DeliveryURL, *mongoURI)
	<-ctx.Done()
	return sys.Close()
}
