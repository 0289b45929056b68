package temporalconn

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tempest-chaos/tempest/temporalconn/tlstest"
)

// TestAPIKeySentOverTLS: with --api-key the client sends the key as a
// bearer token, over TLS (the gRPC server here speaks TLS only, and
// records the authorization header of every call).
func TestAPIKeySentOverTLS(t *testing.T) {
	pki := tlstest.New(t)
	pair, err := tls.LoadX509KeyPair(pki.ServerCert, pki.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}})),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			md, _ := metadata.FromIncomingContext(stream.Context())
			mu.Lock()
			seen = append(seen, md.Get("authorization")...)
			mu.Unlock()
			return status.Error(codes.PermissionDenied, "recorded")
		}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()

	t.Setenv("TEMPEST_TEST_API_KEY", "key-123\n")
	s, err := Options{APIKey: "env:TEMPEST_TEST_API_KEY", TLSCA: pki.CA, TLSServerName: tlstest.ServerName}.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c, err := s.Dial(ctx, client.Options{HostPort: l.Addr().String()}); err == nil {
		c.Close()
		t.Fatal("dial succeeded against a server that refuses every call")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || seen[0] != "Bearer key-123" {
		t.Fatalf("authorization headers %q, want Bearer key-123", seen)
	}
}
