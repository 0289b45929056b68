package temporalconn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tempest-chaos/tempest/payloadcodec"
)

// Options name what a connection needs. Files are PEM. Each field's CLI
// flag is in its comment; the CLI fills the TLS fields from the
// environment variables named there too.
type Options struct {
	// TLS connects over TLS, trusting the system's roots unless TLSCA is
	// set (--tls, TEMPEST_TLS=true). Any other TLS field or APIKey
	// implies it.
	TLS bool
	// TLSCert and TLSKey are this client's certificate and private key,
	// for servers that require mTLS (--tls-cert, --tls-key;
	// TEMPEST_TLS_CERT, TEMPEST_TLS_KEY). One needs the other.
	TLSCert, TLSKey string
	// TLSCA holds the certificates that sign the server's certificate
	// (--tls-ca, TEMPEST_TLS_CA); empty trusts the system's roots.
	TLSCA string
	// TLSServerName is the name the server's certificate must carry, when
	// not the host of the address (--tls-server-name,
	// TEMPEST_TLS_SERVER_NAME).
	TLSServerName string
	// APIKey is where the API key is, "env:NAME" or "file:PATH"
	// (--api-key): it is sent as a bearer token (Temporal Cloud), over TLS.
	APIKey string
	// CodecKeys are where the payload encryption keys are, each "env:NAME"
	// or "file:PATH" (--codec-key, repeated): the first encrypts, all
	// decrypt. See payloadcodec.ParseKey for the key formats.
	CodecKeys []string
}

// Flag names, as FlagError.Flag.
const (
	FlagTLS           = "tls"
	FlagTLSCert       = "tls-cert"
	FlagTLSKey        = "tls-key"
	FlagTLSCA         = "tls-ca"
	FlagTLSServerName = "tls-server-name"
	FlagAPIKey        = "api-key"
	FlagCodecKey      = "codec-key"
)

// FlagError is bad input in one option, named by its CLI flag.
type FlagError struct {
	Flag string
	Err  error
}

func (e *FlagError) Error() string { return fmt.Sprintf("--%s: %v", e.Flag, e.Err) }
func (e *FlagError) Unwrap() error { return e.Err }

// Settings are loaded Options, ready to build clients with.
type Settings struct {
	tls    *tls.Config
	apiKey string
	codec  *payloadcodec.Codec
}

// Load reads and checks what o names. It dials nothing.
func (o Options) Load() (*Settings, error) {
	s := &Settings{}
	keys := make([]payloadcodec.Key, 0, len(o.CodecKeys))
	for _, src := range o.CodecKeys {
		k, err := LoadCodecKey(src)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	s.codec = payloadcodec.New(keys...)
	if o.APIKey != "" {
		b, err := ReadSource(FlagAPIKey, o.APIKey)
		if err != nil {
			return nil, err
		}
		s.apiKey = strings.TrimSpace(string(b))
		if s.apiKey == "" {
			return nil, &FlagError{FlagAPIKey, fmt.Errorf("%s is blank", o.APIKey)}
		}
	}
	cfg, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	s.tls = cfg
	return s, nil
}

// LoadCodecKey reads one codec key from src ("env:NAME" or "file:PATH").
func LoadCodecKey(src string) (payloadcodec.Key, error) {
	b, err := ReadSource(FlagCodecKey, src)
	if err != nil {
		return payloadcodec.Key{}, err
	}
	raw, err := payloadcodec.ParseKey(b)
	if err != nil {
		return payloadcodec.Key{}, &FlagError{FlagCodecKey, fmt.Errorf("%s: %w", src, err)}
	}
	k, err := payloadcodec.NewKey(raw)
	if err != nil {
		return payloadcodec.Key{}, &FlagError{FlagCodecKey, fmt.Errorf("%s: %w", src, err)}
	}
	return k, nil
}

// ReadSource reads "env:NAME" or "file:PATH", naming flag in its errors
// (a *FlagError); an unset or empty variable or file is an error. A secret is never taken
// from the command line itself (it would show in ps and shell history).
func ReadSource(flag, src string) ([]byte, error) {
	switch {
	case strings.HasPrefix(src, "env:"):
		name := strings.TrimPrefix(src, "env:")
		if name == "" {
			return nil, &FlagError{flag, errors.New("env: names no variable")}
		}
		v, ok := os.LookupEnv(name)
		if !ok {
			return nil, &FlagError{flag, fmt.Errorf("%s: the environment variable %s is not set", src, name)}
		}
		if v == "" {
			return nil, &FlagError{flag, fmt.Errorf("%s: the environment variable %s is empty", src, name)}
		}
		return []byte(v), nil
	case strings.HasPrefix(src, "file:"):
		path := strings.TrimPrefix(src, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, &FlagError{flag, err}
		}
		if len(b) == 0 {
			return nil, &FlagError{flag, fmt.Errorf("%s: the file is empty", src)}
		}
		return b, nil
	default:
		return nil, &FlagError{flag, errors.New("want env:NAME or file:PATH (a secret on the command line would show in ps and shell history)")}
	}
}

// tlsConfig is the TLS configuration of o, nil when o asks for no TLS.
func (o Options) tlsConfig() (*tls.Config, error) {
	if !o.TLS && o.TLSCert == "" && o.TLSKey == "" && o.TLSCA == "" && o.TLSServerName == "" && o.APIKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.TLSServerName}
	switch {
	case o.TLSCert != "" && o.TLSKey == "":
		return nil, &FlagError{FlagTLSCert, errors.New("needs --tls-key, the certificate's private key")}
	case o.TLSKey != "" && o.TLSCert == "":
		return nil, &FlagError{FlagTLSKey, errors.New("needs --tls-cert, the certificate of that key")}
	case o.TLSCert != "":
		certPEM, err := readPEMCertificates(FlagTLSCert, o.TLSCert)
		if err != nil {
			return nil, err
		}
		keyPEM, err := os.ReadFile(o.TLSKey)
		if err != nil {
			return nil, &FlagError{FlagTLSKey, err}
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, &FlagError{FlagTLSKey, fmt.Errorf("%s: not the PEM private key of --tls-cert %s: %w", o.TLSKey, o.TLSCert, err)}
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if o.TLSCA != "" {
		caPEM, err := readPEMCertificates(FlagTLSCA, o.TLSCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// readPEMCertificates reads a PEM file and checks that its certificates
// parse.
func readPEMCertificates(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &FlagError{flag, err}
	}
	n := 0
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, &FlagError{flag, fmt.Errorf("%s: certificate %d: %w", path, n+1, err)}
		}
		n++
	}
	if n == 0 {
		return nil, &FlagError{flag, fmt.Errorf("%s: no PEM certificate in it", path)}
	}
	return b, nil
}
