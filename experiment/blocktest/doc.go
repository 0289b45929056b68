// Package blocktest tests, from outside package experiment and in a test
// binary of its own, how a fault kind that lives in its own package
// plugs in (experiment.RegisterFaultBlock): the kind it registers would
// otherwise show in every other test of the experiment package. It has
// no code beyond its tests.
package blocktest
