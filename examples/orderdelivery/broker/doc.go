// Package broker runs RabbitMQ nodes from Debian's rabbitmq-server package on
// the loopback interface, for tests and the demo: one node (the V1 broker) or
// a cluster of three (the V2 brokers), each node a detached Erlang VM.
//
// Contract:
//   - Every node listens only on 127.0.0.1: AMQP on BasePort+i, Erlang
//     distribution on DistBasePort+i, and the cluster's own epmd on EPMDPort,
//     so clusters with different ports never see each other.
//   - All state (Mnesia, logs, pid files, cookie, config) lives under
//     StateDir; the cluster's Config is saved there as cluster.json, so a
//     separate process (the restart revert of a process fault, "down") can
//     act on a cluster it did not start (Load).
//   - Start returns when every node accepts AMQP connections and the cluster
//     is formed (peer discovery with classic_config: node 1 starts first,
//     then the others one at a time, each joining node 1 at boot).
//   - RestartDown starts every node whose process is not running, and waits
//     until they accept connections; nodes that run are left alone, so it is
//     safe to call again. Each node it starts is logged in RestartsFile.
//   - Stop stops every node (SIGTERM, then SIGKILL after a grace period) and
//     the cluster's epmd, leaving no process behind.
//
// The nodes run as the calling user through /usr/lib/rabbitmq/bin (Debian's
// /usr/sbin wrappers would switch to the rabbitmq user and lose the
// environment).
package broker
