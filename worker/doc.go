// Package worker wires Tempest into a Temporal worker: it builds the
// activities with every fault, probe and load implementation this process
// can run, registers them and the ExperimentWorkflow on a task queue, and
// makes sure the search attributes Tempest sets exist.
//
// A worker encrypts and decrypts payloads with its client's data
// converter: build the client with package temporalconn, with the same
// codec keys as the clients that start and read the runs.
package worker
