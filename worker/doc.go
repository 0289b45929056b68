// Package worker wires Tempest into a Temporal worker: it builds the
// activities with every fault, probe and load implementation this process
// can run, registers them and the ExperimentWorkflow on a task queue, and
// makes sure the search attributes Tempest sets exist.
//
// Every task queue that carries activities is polled together with its
// workflows.LongTaskQueue, where probe watchers and load run with slots of
// their own (Limits), so inject and revert never wait behind them.
//
// A worker encrypts and decrypts payloads with its client's data
// converter: build the client with package temporalconn, with the same
// codec keys as the clients that start and read the runs.
package worker
