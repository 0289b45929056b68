package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/payloadcodec"
	"github.com/tempest-chaos/tempest/temporalconn"
)

// newCodecServerCommand serves the Temporal Web UI's remote codec with
// the --codec-key keys, so people with the keys read encrypted runs in
// the UI.
func newCodecServerCommand(g *globalFlags) *cobra.Command {
	var listen, authHeader string
	var origins []string
	cmd := &cobra.Command{
		Use:   "codec-server",
		Short: "Serve the Temporal UI's remote codec endpoint (/encode, /decode) with the --codec-key keys",
		Long: "Serves the remote codec protocol of the Temporal Web UI: it decrypts the payloads of runs written\n" +
			"with --codec-key for the browser of someone who has the keys. In the UI, set the codec server\n" +
			"endpoint to http://LISTEN (Settings, or the UI server's codec.endpoint).",
		Example: `  tempest codec-server --codec-key env:TEMPEST_CODEC_KEY
  tempest codec-server --codec-key file:/etc/tempest/key-2 --codec-key file:/etc/tempest/key-1 \
      --listen 127.0.0.1:8081 --ui-origin https://temporal.example --auth-header env:CODEC_AUTH`,
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := func(err error) error { return &exitError{code: exitErrored, err: err} }
			if len(g.conn.CodecKeys) == 0 {
				return bad(errors.New("--codec-key is required: the keys the runs were written with"))
			}
			s, err := loadConnection(g)
			if err != nil {
				return bad(err)
			}
			opts := payloadcodec.HandlerOptions{Origins: origins}
			if authHeader != "" {
				v, err := temporalconn.ReadSource("auth-header", authHeader)
				if err != nil {
					return bad(err)
				}
				if opts.Authorization = strings.TrimSpace(string(v)); opts.Authorization == "" {
					return bad(fmt.Errorf("--auth-header: %s is blank", authHeader))
				}
			}
			for _, o := range origins {
				if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") || strings.HasSuffix(o, "/") {
					return bad(fmt.Errorf("--ui-origin %q: want scheme://host[:port], as the browser sends it (e.g. http://localhost:8233)", o))
				}
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return bad(fmt.Errorf("--listen: %w", err))
			}
			srv := &http.Server{Handler: payloadcodec.Handler(s.Codec(), opts), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(cmd.ErrOrStderr(), "codec server on http://%s (keys %s; UI origins %s)\n",
				l.Addr(), strings.Join(s.Codec().KeyIDs(), ", "), strings.Join(origins, ", "))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
			}()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return bad(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", "host:port to serve on")
	cmd.Flags().StringSliceVar(&origins, "ui-origin", []string{"http://localhost:8233", "http://127.0.0.1:8233"}, "origins of the Temporal Web UIs allowed to call it from a browser (CORS)")
	cmd.Flags().StringVar(&authHeader, "auth-header", "", "env:NAME or file:PATH holding the exact Authorization header value requests must carry (e.g. \"Bearer TOKEN\")")
	return cmd
}

// serveUICodec serves s's codec on 127.0.0.1 for the embedded Web UI on
// uiPort (CORS for that origin only), and returns its URL for the UI's
// codec endpoint. Without a codec key it serves nothing and returns "".
func serveUICodec(s *temporalconn.Settings, uiPort int) (endpoint string, stop func(), err error) {
	if s == nil || !s.Codec().Encrypts() {
		return "", func() {}, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("serve the codec for the embedded UI: %w", err)
	}
	origins := []string{fmt.Sprintf("http://127.0.0.1:%d", uiPort), fmt.Sprintf("http://localhost:%d", uiPort)}
	srv := &http.Server{Handler: payloadcodec.Handler(s.Codec(), payloadcodec.HandlerOptions{Origins: origins}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), func() { _ = srv.Close() }, nil
}
