// Package kinds is the one list of the fault kinds that live in their own
// packages. Adding a kind is its folder plus one line in Faults. Importing
// this package registers every kind's spec block with package experiment,
// so any program that decodes specs (the CLI, a worker, a starter, the
// schema generator) imports it; workers build the implementations from
// the same list (worker.NewActivities).
package kinds

import (
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/diskfill"
	"github.com/tempest-chaos/tempest/fault/network"
	"github.com/tempest-chaos/tempest/fault/stress"
)

// Faults are the registered fault kinds, in the order the schema and the
// docs list them after the built-in ones.
var Faults = []fault.Kind{
	network.Kind,
	stress.Kind,
	diskfill.Kind,
}

func init() {
	for _, k := range Faults {
		k.RegisterBlock()
	}
}
