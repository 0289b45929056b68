// Package worker wires Tempest into a Temporal worker: it builds the
// activities with every fault, probe and load implementation this process
// can run, registers them and the ExperimentWorkflow on a task queue, and
// makes sure the search attributes Tempest sets exist.
package worker
