// Package demoenv runs the demo environment: one embedded FerretDB (or the
// MongoDB given by Config.MongoURI), the V1 broker (one RabbitMQ node), the
// V2 brokers (three nodes, quorum queue "orders") and both versions of the
// services, on fixed loopback ports (see DefaultConfig), so the experiments
// in examples/orderdelivery/experiments can name them.
//
// Contract:
//   - Up starts everything, writes StateDir/env (KEY=VALUE lines: URLs,
//     ports, pid files) and StateDir/up.pid, and returns a running Env.
//   - Env.Close stops everything Up started, brokers included, leaving no
//     process behind; Down does the same from another process (it signals
//     the process that ran Up, then stops any broker still running).
package demoenv
