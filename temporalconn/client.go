package temporalconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tempest-chaos/tempest/payloadcodec"
)

// TLS reports whether the connection uses TLS.
func (s *Settings) TLS() bool { return s.tls != nil }

// Codec is the payload codec of the connection (without keys it encrypts
// nothing).
func (s *Settings) Codec() *payloadcodec.Codec { return s.codec }

// DataConverter is the SDK's default data converter wrapped by the codec.
func (s *Settings) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), s.codec)
}

// FailureConverter writes failure messages and stack traces as encrypted
// attributes when the codec encrypts.
func (s *Settings) FailureConverter() converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          s.DataConverter(),
		EncodeCommonAttributes: s.codec.Encrypts(),
	})
}

// ClientOptions returns o with the connection's TLS, credentials, data
// and failure converters, and the interceptor that decrypts raw history
// reads. It keeps o's own dial options and interceptors.
func (s *Settings) ClientOptions(o client.Options) client.Options {
	if s.tls != nil {
		o.ConnectionOptions.TLS = s.tls.Clone()
	}
	if s.apiKey != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(s.apiKey)
	}
	o.DataConverter = s.DataConverter()
	o.FailureConverter = s.FailureConverter()
	o.ConnectionOptions.DialOptions = append(append([]grpc.DialOption(nil), o.ConnectionOptions.DialOptions...),
		grpc.WithChainUnaryInterceptor(s.readDecoder()))
	return o
}

// Dial dials with ClientOptions(o). A failed TLS handshake is a *TLSError.
func (s *Settings) Dial(ctx context.Context, o client.Options) (client.Client, error) {
	c, err := client.DialContext(ctx, s.ClientOptions(o))
	if err != nil {
		if s.TLS() {
			// gRPC may report a refused handshake as the broken pipe
			// that followed it: ask TLS itself what went wrong.
			if d := s.diagnoseTLS(ctx, o.HostPort); d != nil {
				return nil, &TLSError{Addr: o.HostPort, Err: d}
			}
			if isTLSFailure(err) {
				return nil, &TLSError{Addr: o.HostPort, Err: err}
			}
		}
		return nil, err
	}
	return c, nil
}

// diagnoseTLS makes one TLS connection to addr with the connection's TLS
// configuration and returns what the handshake, or the server's first
// answer, says is wrong: nil when TLS works there, or when the address
// cannot be reached at all. A TLS 1.3 server refuses a client
// certificate only after the client's side of the handshake is done, so
// the first read is where that refusal shows.
func (s *Settings) diagnoseTLS(ctx context.Context, addr string) error {
	cfg := s.tls.Clone()
	cfg.NextProtos = []string{"h2"}
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	// The dial may have used up ctx's time: the diagnosis has its own.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	conn, err := (&tls.Dialer{Config: cfg}).DialContext(dctx, "tcp", addr)
	if err != nil {
		if isTLSFailure(err) {
			return err
		}
		return nil
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err != nil && isTLSFailure(err) {
		return err
	}
	return nil
}

// decodedReads are the service calls whose answers Tempest reads as raw
// payloads (reports, descriptions, the experiment of a run), rather than
// through the SDK's data converter.
var decodedReads = map[string]bool{
	workflowservice.WorkflowService_GetWorkflowExecutionHistory_FullMethodName:        true,
	workflowservice.WorkflowService_GetWorkflowExecutionHistoryReverse_FullMethodName: true,
	workflowservice.WorkflowService_DescribeWorkflowExecution_FullMethodName:          true,
}

// readDecoder decrypts the payloads of the answers of decodedReads, then
// restores the failure messages kept in encoded attributes. The SDK's own
// codec then finds clear payloads there and leaves them.
func (s *Settings) readDecoder() grpc.UnaryClientInterceptor {
	plain := converter.GetDefaultDataConverter()
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := invoker(ctx, method, req, reply, cc, opts...); err != nil || !decodedReads[method] {
			return err
		}
		msg, ok := reply.(proto.Message)
		if !ok {
			return nil
		}
		if err := proxy.VisitPayloads(ctx, msg, proxy.VisitPayloadsOptions{
			Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				return s.codec.Decode(ps)
			},
			SkipSearchAttributes: true,
		}); err != nil {
			return &decodeError{err}
		}
		return proxy.VisitFailures(ctx, msg, proxy.VisitFailuresOptions{Visitor: failureVisitor(plain)})
	}
}

// decodeError is a read whose payloads do not decode: its gRPC code
// (FailedPrecondition) keeps the SDK from retrying it, its message is the
// codec's.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

func (e *decodeError) GRPCStatus() *status.Status {
	return status.New(codes.FailedPrecondition, e.err.Error())
}

// TLSError is a connection whose TLS handshake failed.
type TLSError struct {
	Addr string
	Err  error
}

func (e *TLSError) Error() string {
	msg := e.Err.Error()
	why := msg
	switch {
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		why = "the server does not speak TLS there (drop the TLS options, or use its TLS port)"
	case strings.Contains(msg, "certificate required"), strings.Contains(msg, "bad certificate"), strings.Contains(msg, "unknown certificate authority"):
		why = "the server refused this client's certificate (--tls-cert, --tls-key)"
	case strings.Contains(msg, "x509:"):
		i := strings.Index(msg, "x509:")
		why = fmt.Sprintf("the server's certificate is not trusted (--tls-ca, --tls-server-name): %s", strings.TrimRight(msg[i:], `"`))
	}
	return fmt.Sprintf("TLS with %s failed: %s", e.Addr, why)
}

func (e *TLSError) Unwrap() error { return e.Err }

func isTLSFailure(err error) bool {
	msg := err.Error()
	for _, s := range []string{"tls:", "x509:", "handshake"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// failureVisitor restores a failure's message and stack trace from its
// (already decrypted) encoded attributes.
func failureVisitor(dc converter.DataConverter) func(*proxy.VisitFailuresContext, *failurepb.Failure) error {
	return func(_ *proxy.VisitFailuresContext, f *failurepb.Failure) error {
		converter.DecodeCommonFailureAttributes(dc, f)
		return nil
	}
}
