package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/demoenv"
)

func demoEnvCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "down") {
		return fmt.Errorf("demo-env: want up or down")
	}
	fs := flag.NewFlagSet("demo-env "+args[0], flag.ContinueOnError)
	state := fs.String("state", defaultStateDir(), "state dir (brokers, FerretDB files, env file)")
	mongoURI := fs.String("mongo-uri", os.Getenv("MONGO_URI"), "use this MongoDB instead of an embedded FerretDB")
	timeout := fs.Duration("timeout", 3*time.Minute, "bound on starting everything")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if args[0] == "down" {
		return demoenv.Down(*state, 15*time.Second)
	}
	cfg := demoenv.DefaultConfig(*state)
	cfg.MongoURI = *mongoURI
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	startCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	start := time.Now()
	env, err := demoenv.Up(startCtx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("# demo environment up in %v; stop with Ctrl-C or `orderdelivery demo-env down`\n%s", time.Since(start).Round(time.Millisecond), env)
	<-ctx.Done()
	fmt.Println("# stopping the demo environment")
	return env.Close()
}
