package temporalconn

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/payloadcodec"
	"github.com/tempest-chaos/tempest/temporalconn/tlstest"
)

func TestLoadBadInput(t *testing.T) {
	pki := tlstest.New(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	_ = os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, nil, 0o600)
	short := filepath.Join(dir, "short.key")
	_ = os.WriteFile(short, []byte(base64.StdEncoding.EncodeToString(make([]byte, 16))), 0o600)
	t.Setenv("TEMPEST_TEST_EMPTY", "")
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		o    Options
		flag string
		want string
	}{
		{"cert missing", Options{TLSCert: missing, TLSKey: pki.ClientKey}, FlagTLSCert, "no such file"},
		{"cert garbage", Options{TLSCert: garbage, TLSKey: pki.ClientKey}, FlagTLSCert, "no PEM certificate"},
		{"cert without key", Options{TLSCert: pki.ClientCert}, FlagTLSCert, "needs --tls-key"},
		{"key without cert", Options{TLSKey: pki.ClientKey}, FlagTLSKey, "needs --tls-cert"},
		{"key missing", Options{TLSCert: pki.ClientCert, TLSKey: missing}, FlagTLSKey, "no such file"},
		{"key of another cert", Options{TLSCert: pki.ClientCert, TLSKey: pki.ServerKey}, FlagTLSKey, "not the PEM private key"},
		{"key garbage", Options{TLSCert: pki.ClientCert, TLSKey: garbage}, FlagTLSKey, "not the PEM private key"},
		{"ca missing", Options{TLSCA: missing}, FlagTLSCA, "no such file"},
		{"ca garbage", Options{TLSCA: garbage}, FlagTLSCA, "no PEM certificate"},
		{"api key literal", Options{APIKey: "abc"}, FlagAPIKey, "want env:NAME or file:PATH"},
		{"api key unset env", Options{APIKey: "env:TEMPEST_TEST_UNSET_VARIABLE"}, FlagAPIKey, "is not set"},
		{"api key empty env", Options{APIKey: "env:TEMPEST_TEST_EMPTY"}, FlagAPIKey, "is empty"},
		{"api key empty file", Options{APIKey: "file:" + empty}, FlagAPIKey, "the file is empty"},
		{"codec key short", Options{CodecKeys: []string{"file:" + short}}, FlagCodecKey, "base64 of 16 bytes; want 32"},
		{"codec key missing file", Options{CodecKeys: []string{"file:" + missing}}, FlagCodecKey, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.o.Load()
			var fe *FlagError
			if !errors.As(err, &fe) || fe.Flag != tc.flag {
				t.Fatalf("error %v, want a FlagError on --%s", err, tc.flag)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "--"+tc.flag+": ") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q, want one line starting --%s: containing %q", msg, tc.flag, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	pki := tlstest.New(t)
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	t.Setenv("TEMPEST_TEST_CODEC_KEY", base64.StdEncoding.EncodeToString(raw))
	t.Setenv("TEMPEST_TEST_API_KEY", " key-1 \n")
	s, err := Options{TLSCert: pki.ClientCert, TLSKey: pki.ClientKey, TLSCA: pki.CA, TLSServerName: tlstest.ServerName,
		APIKey: "env:TEMPEST_TEST_API_KEY", CodecKeys: []string{"env:TEMPEST_TEST_CODEC_KEY"}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !s.TLS() || len(s.tls.Certificates) != 1 || s.tls.RootCAs == nil || s.tls.ServerName != tlstest.ServerName {
		t.Fatalf("TLS config %+v", s.tls)
	}
	if s.apiKey != "key-1" {
		t.Errorf("API key %q", s.apiKey)
	}
	if ids := s.Codec().KeyIDs(); len(ids) != 1 || ids[0] != payloadcodec.KeyID(raw) {
		t.Errorf("codec keys %v", ids)
	}
	o := s.ClientOptions(client.Options{HostPort: "x:1"})
	if o.ConnectionOptions.TLS == nil || o.Credentials == nil || o.DataConverter == nil || o.FailureConverter == nil || len(o.ConnectionOptions.DialOptions) != 1 {
		t.Errorf("client options %+v", o)
	}
	plain, err := Options{}.Load()
	if err != nil || plain.TLS() || plain.Codec().Encrypts() {
		t.Fatalf("no options: %+v %v", plain, err)
	}
	if api, _ := (Options{APIKey: "env:TEMPEST_TEST_API_KEY"}).Load(); !api.TLS() {
		t.Error("an API key without TLS options does not use TLS")
	}
}

// TestDialPlaintextWithTLS: a TLS dial to something that does not speak
// TLS fails with a TLSError naming the address.
func TestDialPlaintextWithTLS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			_ = c.Close()
		}
	}()
	s, err := Options{TLS: true}.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = s.Dial(ctx, client.Options{HostPort: l.Addr().String()})
	t.Log(err)
	var te *TLSError
	if !errors.As(err, &te) {
		t.Fatalf("dial: %v, want a TLSError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, l.Addr().String()) || !strings.Contains(msg, "TLS") || !strings.Contains(msg, "does not speak TLS") {
		t.Fatalf("error %q", msg)
	}
}

// TestDialRefusedByMTLS: an mTLS endpoint refuses a client without its
// CA's certificate; the error says so, whatever TLS version reports it.
func TestDialRefusedByMTLS(t *testing.T) {
	pki := tlstest.New(t)
	addr := pki.Proxy(t, "127.0.0.1:1")
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"no certificate":          {Options{TLSCA: pki.CA, TLSServerName: tlstest.ServerName}, "refused this client's certificate"},
		"another CA's":            {Options{TLSCert: pki.StrangerCert, TLSKey: pki.StrangerKey, TLSCA: pki.CA, TLSServerName: tlstest.ServerName}, "refused this client's certificate"},
		"server CA not trusted":   {Options{TLSCert: pki.ClientCert, TLSKey: pki.ClientKey}, "certificate is not trusted"},
		"server name not its own": {Options{TLSCert: pki.ClientCert, TLSKey: pki.ClientKey, TLSCA: pki.CA, TLSServerName: "other.example"}, "certificate is not trusted"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := tc.o.Load()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err = s.Dial(ctx, client.Options{HostPort: addr})
			var te *TLSError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), "TLS with "+addr+" failed") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("dial: %v, want a TLSError saying %q", err, tc.want)
			}
		})
	}
}
