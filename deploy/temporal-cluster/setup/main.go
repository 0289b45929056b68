// Command tempest-temporal-setup prepares a Temporal cluster for Tempest, as
// an administrator would: it waits until the frontend at -address answers,
// registers the namespace and Tempest's custom search attributes (with
// -register), and returns once the namespace is known to that frontend and
// every attribute is accepted in a visibility query, so a `tempest run`
// started right after it works. deploy/temporal-cluster/up.sh runs it against
// each frontend it starts. It exits 1 with the last error when the deadline
// (-wait) passes.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tempest-chaos/tempest/worker"
)

type options struct {
	address, namespace                    string
	register                              bool
	retention, wait                       time.Duration
	tlsCert, tlsKey, tlsCA, tlsServerName string
}

func main() {
	var o options
	flag.StringVar(&o.address, "address", "", "the frontend's host:port")
	flag.StringVar(&o.namespace, "namespace", "default", "the namespace Tempest runs in")
	flag.BoolVar(&o.register, "register", false, "register the namespace and the search attributes when missing (without it, only wait for them)")
	flag.DurationVar(&o.retention, "retention", 72*time.Hour, "the namespace's retention of closed runs, when it registers it")
	flag.DurationVar(&o.wait, "wait", 2*time.Minute, "how long to wait for the frontend, the namespace and the attributes")
	flag.StringVar(&o.tlsCert, "tls-cert", "", "client certificate (PEM) for a frontend that requires one")
	flag.StringVar(&o.tlsKey, "tls-key", "", "the client certificate's key (PEM)")
	flag.StringVar(&o.tlsCA, "tls-ca", "", "CA certificate (PEM) the frontend's certificate is checked against; setting it turns TLS on")
	flag.StringVar(&o.tlsServerName, "tls-server-name", "", "the name the frontend's certificate must carry")
	flag.Parse()
	if o.address == "" {
		fmt.Fprintln(os.Stderr, "tempest-temporal-setup: -address is required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.wait)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "tempest-temporal-setup: %s: %v\n", o.address, err)
		os.Exit(1)
	}
}

// run does the steps in order, each retried until ctx ends: a frontend
// that just started answers "not enough hosts" until the history and
// matching rings are complete, and learns a new namespace or attribute
// only when its caches refresh.
func run(ctx context.Context, o options) error {
	copts := client.Options{HostPort: o.address, Namespace: o.namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	if o.tlsCA != "" {
		tc, err := tlsConfig(o)
		if err != nil {
			return err
		}
		copts.ConnectionOptions.TLS = tc
	}
	var c client.Client
	if err := retry(ctx, "the frontend to answer", func() (err error) {
		c, err = client.DialContext(ctx, copts)
		if err != nil {
			return err
		}
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		if err != nil {
			c.Close()
		}
		return err
	}); err != nil {
		return err
	}
	defer c.Close()
	if o.register {
		if err := retry(ctx, "namespace registration", func() error {
			_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
				Namespace:                        o.namespace,
				WorkflowExecutionRetentionPeriod: durationpb.New(o.retention),
			})
			var exists *serviceerror.NamespaceAlreadyExists
			if errors.As(err, &exists) {
				return nil
			}
			return err
		}); err != nil {
			return err
		}
	}
	if err := retry(ctx, fmt.Sprintf("namespace %q to be known", o.namespace), func() error {
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: o.namespace})
		return err
	}); err != nil {
		return err
	}
	want := worker.SearchAttributes()
	if o.register {
		if err := retry(ctx, "search attribute registration", func() error {
			return worker.EnsureSearchAttributes(ctx, c, o.namespace)
		}); err != nil {
			return err
		}
		have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: o.namespace})
		if err != nil {
			return fmt.Errorf("list search attributes: %w", err)
		}
		for _, name := range slices.Sorted(maps.Keys(want)) {
			if got := have.GetCustomAttributes()[name]; got != want[name] {
				return fmt.Errorf("search attribute %s has type %v, want %v: an administrator must remove it first", name, got, want[name])
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if err := retry(ctx, "search attribute "+name+" to be queryable", func() error {
			_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
				Namespace: o.namespace, Query: fmt.Sprintf("`%s` IS NULL", name)})
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// retry calls f every 200 ms until it succeeds or ctx ends, and then
// returns f's last error naming what it waited for.
func retry(ctx context.Context, what string, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func tlsConfig(o options) (*tls.Config, error) {
	pem, err := os.ReadFile(o.tlsCA)
	if err != nil {
		return nil, fmt.Errorf("-tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-tls-ca: no PEM certificate in %s", o.tlsCA)
	}
	tc := &tls.Config{RootCAs: pool, ServerName: o.tlsServerName, MinVersion: tls.VersionTLS12}
	if o.tlsCert != "" || o.tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
