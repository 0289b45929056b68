package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/temporalconn"
)

// addConnectionFlags adds the flags of the Temporal connection's security
// (package temporalconn) to every command: TLS and mTLS, an API key, and
// the payload codec's keys. Loaded by connect, so a bad one fails before
// anything dials or starts.
func addConnectionFlags(root *cobra.Command, o *temporalconn.Options) {
	fs := root.PersistentFlags()
	tlsOn, _ := strconv.ParseBool(os.Getenv(tlsEnv)) // loadConnection rejects a bad value
	fs.BoolVar(&o.TLS, temporalconn.FlagTLS, tlsOn, "connect to Temporal over TLS, trusting the system's roots unless --tls-ca is set (default $TEMPEST_TLS; the other --tls-* flags and --api-key imply it)")
	fs.StringVar(&o.TLSCert, temporalconn.FlagTLSCert, os.Getenv("TEMPEST_TLS_CERT"), "PEM client certificate for a Temporal server that requires mTLS (default $TEMPEST_TLS_CERT; needs --tls-key)")
	fs.StringVar(&o.TLSKey, temporalconn.FlagTLSKey, os.Getenv("TEMPEST_TLS_KEY"), "PEM private key of --tls-cert (default $TEMPEST_TLS_KEY)")
	fs.StringVar(&o.TLSCA, temporalconn.FlagTLSCA, os.Getenv("TEMPEST_TLS_CA"), "PEM CA certificates that sign the Temporal server's certificate (default $TEMPEST_TLS_CA; empty: the system's roots)")
	fs.StringVar(&o.TLSServerName, temporalconn.FlagTLSServerName, os.Getenv("TEMPEST_TLS_SERVER_NAME"), "name the Temporal server's certificate must carry, when not the host of --address (default $TEMPEST_TLS_SERVER_NAME)")
	fs.StringVar(&o.APIKey, temporalconn.FlagAPIKey, "", "API key for Temporal Cloud, env:NAME or file:PATH (sent as a bearer token, over TLS)")
	fs.StringArrayVar(&o.CodecKeys, temporalconn.FlagCodecKey, nil, "key of the payload codec, env:NAME or file:PATH holding 32 bytes raw, hex or base64 (`openssl rand -base64 32`): payloads and failure messages are written AES-256-GCM-encrypted. Repeat it to rotate: the first encrypts, all decrypt")
}

// tlsEnv is the default of --tls.
const tlsEnv = "TEMPEST_TLS"

// loadConnection loads the connection's options (temporalconn): files and
// variables read and checked, nothing dialed.
func loadConnection(g *globalFlags) (*temporalconn.Settings, error) {
	if v, ok := os.LookupEnv(tlsEnv); ok && v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("--tls: $%s is %q: want true or false", tlsEnv, v)
		}
	}
	return g.conn.Load()
}
