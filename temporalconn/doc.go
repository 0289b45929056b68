// Package temporalconn builds the Temporal client connection of every
// Tempest process (the CLI, workers, Go programs using package starter)
// from one set of options: TLS and mTLS, an API key for Temporal Cloud,
// and encryption of payloads (package payloadcodec).
//
//	s, err := temporalconn.Options{TLSCert: "c.pem", TLSKey: "k.pem", CodecKeys: []string{"env:TEMPEST_CODEC_KEY"}}.Load()
//	c, err := s.Dial(ctx, client.Options{HostPort: "temporal.example:7233", Namespace: "chaos"})
//
// Contract:
//   - Options.Load reads and checks every file and variable the options
//     name, and dials nothing. Bad input is a *FlagError naming the CLI
//     flag of the field (--tls-cert, --codec-key, ...).
//   - A client built with Settings.ClientOptions (or Settings.Dial)
//     encrypts every payload it and its workers write when a codec key is
//     given (the SDK's default data converter wrapped by
//     converter.NewCodecDataConverter), writes failure messages and stack
//     traces as encrypted attributes, and decrypts what it reads,
//     including the raw histories and descriptions Tempest reads from the
//     service (GetWorkflowExecutionHistory, DescribeWorkflowExecution).
//     Without a key it writes clear text, and reading an encrypted run
//     fails with a *payloadcodec.MissingKeyError naming the key ID.
//   - Search attributes are never encrypted: the server indexes them.
//   - Settings.Dial reports a failed TLS handshake as a *TLSError naming
//     the address.
package temporalconn
