package experiment

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// enumValues lists the accepted values of every typed string of the spec,
// in documentation order. Validation and the JSON Schema both read it, so
// they cannot disagree.
func enumValues() map[reflect.Type][]string {
	return map[reflect.Type][]string{
		reflect.TypeFor[SelectionMode]():  {string(SelectOne), string(SelectCount), string(SelectPercent), string(SelectAll)},
		reflect.TypeFor[Sequence]():       {string(SequenceParallel), string(SequenceSerial)},
		reflect.TypeFor[ProcessAction]():  {string(ProcessKill), string(ProcessPause)},
		reflect.TypeFor[WorkloadKind]():   {string(WorkloadDeployment), string(WorkloadStatefulSet)},
		reflect.TypeFor[Direction]():      {string(DirectionIngress), string(DirectionEgress), string(DirectionBoth)},
		reflect.TypeFor[ProbeMode]():      {string(ModeSOT), string(ModeEOT), string(ModeEdge), string(ModeContinuous), string(ModeOnChaos)},
		reflect.TypeFor[MongoOperation](): {string(MongoCount), string(MongoFind), string(MongoAggregate)},
		reflect.TypeFor[Reduction]():      {string(ReduceMin), string(ReduceMax), string(ReduceAvg), string(ReduceLast)},
		reflect.TypeFor[EmptyResult]():    {string(EmptyFail), string(EmptyPass)},
		reflect.TypeFor[K8sCondition]():   {string(K8sPresent), string(K8sAbsent), string(K8sReady)},
		reflect.TypeFor[ValueType]():      {string(ValueInt), string(ValueFloat), string(ValueString)},
		reflect.TypeFor[Operator]():       {string(OpEq), string(OpNe), string(OpLt), string(OpLe), string(OpGt), string(OpGe), string(OpBetween), string(OpOneOf), string(OpContains), string(OpMatches)},
	}
}

// checkEnum reports a value of typed string T that is not one of its
// known values. The empty value is left to the caller (required or
// defaulted).
func checkEnum[T ~string](path string, v T) []FieldError {
	if v == "" {
		return nil
	}
	allowed := enumValues()[reflect.TypeFor[T]()]
	if slices.Contains(allowed, string(v)) {
		return nil
	}
	return []FieldError{fieldErr(path, "unknown value %q: must be one of %s", string(v), strings.Join(allowed, ", "))}
}

// requireEnum is checkEnum for a field that must be set.
func requireEnum[T ~string](path string, v T) []FieldError {
	if v == "" {
		allowed := enumValues()[reflect.TypeFor[T]()]
		return []FieldError{fieldErr(path, "required: one of %s", strings.Join(allowed, ", "))}
	}
	return checkEnum(path, v)
}

// kindChoices lists the kinds of blocks, for messages.
func kindChoices[K ~string](blocks []kindBlock[K]) string {
	names := make([]string, len(blocks))
	for i, b := range blocks {
		names[i] = string(b.kind)
	}
	return strings.Join(names, ", ")
}

// validateBlocks checks that exactly one kind block is set and validates it.
func validateBlocks[K ~string](path string, blocks []kindBlock[K]) []FieldError {
	var set []kindBlock[K]
	for _, b := range blocks {
		if b.set {
			set = append(set, b)
		}
	}
	switch len(set) {
	case 0:
		return []FieldError{fieldErr(path, "must set exactly one of %s", kindChoices(blocks))}
	case 1:
		return set[0].validate(field(path, string(set[0].kind)))
	default:
		names := make([]string, len(set))
		for i, b := range set {
			names[i] = string(b.kind)
		}
		return []FieldError{fieldErr(field(path, string(set[1].kind)),
			"must set exactly one of %s, but %s are set", kindChoices(blocks), strings.Join(names, " and "))}
	}
}

// fmtList formats values for a message.
func fmtList[T any](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ", ")
}
