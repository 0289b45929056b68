package experiment

import "reflect"

// What the JSON Schema generator (cmd/schemagen) needs from this package:
// the enums here, the value rules in schema_rules.go (SchemaRules). The
// generator itself lives there, so programs that only run experiments do
// not link a schema reflector.

// EnumValues returns the accepted values of every typed string of the spec
// (SelectionMode, ProbeMode, Operator, ...), the same lists Validate checks.
func EnumValues() map[reflect.Type][]string { return enumValues() }

// FaultKinds lists the kinds of fault, in the order of Fault's blocks.
func FaultKinds() []FaultKind {
	var f Fault
	return blockKinds(f.faultBlocks())
}

// ProbeKinds lists the kinds of probe, in the order of Probe's blocks.
func ProbeKinds() []ProbeKind {
	var p Probe
	return blockKinds(p.probeBlocks())
}

func blockKinds[K ~string](blocks []kindBlock[K]) []K {
	kinds := make([]K, len(blocks))
	for i, b := range blocks {
		kinds[i] = b.kind
	}
	return kinds
}
