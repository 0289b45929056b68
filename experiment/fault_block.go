package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
)

// FaultBlock is the kind-specific block of a fault kind that lives in its
// own package (fault/network, fault/stress, ...) instead of in this one.
// Such a kind registers its block once (RegisterFaultBlock, done for every
// kind by package kinds); from then on a spec decodes the block's key into
// the block's Go type, with the same field paths, line numbers, unknown
// field suggestions and JSON Schema as the built-in kinds, all found by
// reflection on that type.
//
// In Go, set it on Fault.Block:
//
//	experiment.Fault{Name: "cut", Duration: d, Block: &network.Spec{Action: "partition"}}
type FaultBlock interface {
	// FaultKind is the kind, which is also the block's key in a spec
	// ("network"). It must not depend on the receiver's value.
	FaultKind() FaultKind
	// Validate checks the block after defaults. path is the block's field
	// path ("spec.faults[0].network"); problems are built with FieldErrorf.
	Validate(path string) []FieldError
}

// BlockDefaulter is implemented by blocks with documented defaults;
// ApplyDefaults calls it before validation. It must be pure and
// idempotent, like ApplyDefaults.
type BlockDefaulter interface {
	ApplyDefaults()
}

// FieldErrorf is one problem at a field path, for FaultBlock.Validate.
func FieldErrorf(path, format string, args ...any) FieldError {
	return fieldErr(path, format, args...)
}

// Field and Index build field paths: Field("spec.faults[0].network",
// "rate") and Index("...cidrs", 1).
func Field(path, name string) string  { return field(path, name) }
func Index(path string, i int) string { return index(path, i) }

// registeredBlock is one registered fault block kind.
type registeredBlock struct {
	kind FaultKind
	typ  reflect.Type // the block's struct type (not the pointer)
	host bool
}

var blocks struct {
	sync.RWMutex
	list []registeredBlock
}

// RegisterFaultBlock registers the block type of zero (a pointer to the
// kind's block struct) under zero.FaultKind(). host says that the kind
// acts on the host of the worker that runs it (it is routed by host:, not
// cluster:). Registering a kind twice, or one that a built-in kind owns,
// panics: it is a wiring bug.
func RegisterFaultBlock(zero FaultBlock, host bool) {
	t := reflect.TypeOf(zero)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("experiment: fault block %T must be a pointer to a struct", zero))
	}
	kind := zero.FaultKind()
	var f Fault
	if _, clash := jsonFields(faultType).byName[string(kind)]; clash || kind == "" || slices.Contains(blockKinds(f.builtinBlocks()), kind) {
		panic(fmt.Sprintf("experiment: fault kind %q is empty, registered twice or a field of Fault", kind))
	}
	blocks.Lock()
	defer blocks.Unlock()
	blocks.list = append(blocks.list, registeredBlock{kind: kind, typ: t.Elem(), host: host})
}

func registeredBlocks() []registeredBlock {
	blocks.RLock()
	defer blocks.RUnlock()
	return slices.Clone(blocks.list)
}

func lookupBlock(kind string) (registeredBlock, bool) {
	for _, b := range registeredBlocks() {
		if string(b.kind) == kind {
			return b, true
		}
	}
	return registeredBlock{}, false
}

// FaultBlockType is the Go type of a registered kind's block (the struct,
// not the pointer), for the JSON Schema generator.
func FaultBlockType(kind FaultKind) (reflect.Type, bool) {
	b, ok := lookupBlock(string(kind))
	return b.typ, ok
}

// faultType is Fault's type, whose JSON fields include the registered blocks.
var faultType = reflect.TypeFor[Fault]()

// extraFields adds the registered blocks' keys to t's fields when t is Fault.
func extraFields(t reflect.Type, fs *structFields) {
	if t != faultType {
		return
	}
	for _, b := range registeredBlocks() {
		fs.names = append(fs.names, string(b.kind))
		fs.byName[string(b.kind)] = reflect.PointerTo(b.typ)
	}
}

// faultJSON is Fault without its methods, for encoding/json.
type faultJSON Fault

// MarshalJSON encodes the fault's fields and, under its kind's key, its
// Block. A fault without a Block encodes exactly as it always has.
func (f Fault) MarshalJSON() ([]byte, error) {
	data, err := json.Marshal(faultJSON(f))
	if err != nil || f.Block == nil {
		return data, err
	}
	block, err := json.Marshal(f.Block)
	if err != nil {
		return nil, fmt.Errorf("fault %q: %s block: %w", f.Name, f.Block.FaultKind(), err)
	}
	key, _ := json.Marshal(string(f.Block.FaultKind()))
	var b bytes.Buffer
	b.Write(data[:len(data)-1])
	if len(data) > 2 {
		b.WriteByte(',')
	}
	b.Write(key)
	b.WriteByte(':')
	b.Write(block)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON decodes the fault's fields and a registered kind's block
// into Block. Like encoding/json (and Temporal's data converter) it
// ignores unknown fields: the spec decoder (Decode) has refused them, with
// their line, before it gets here. Two registered blocks are refused
// (Validate reports a registered block beside a built-in one).
func (f *Fault) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	var block FaultBlock
	for _, b := range registeredBlocks() {
		msg, ok := raw[string(b.kind)]
		if !ok {
			continue
		}
		delete(raw, string(b.kind))
		if bytes.Equal(bytes.TrimSpace(msg), []byte("null")) {
			continue
		}
		if block != nil {
			return fmt.Errorf("fault: both %s and %s are set; a fault has one kind", block.FaultKind(), b.kind)
		}
		v := reflect.New(b.typ)
		if err := json.Unmarshal(msg, v.Interface()); err != nil {
			return fmt.Errorf("fault %s block: %w", b.kind, err)
		}
		block = v.Interface().(FaultBlock)
	}
	rest, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	var plain faultJSON
	if err := json.Unmarshal(rest, &plain); err != nil {
		return err
	}
	*f = Fault(plain)
	f.Block = block
	return nil
}

// blockEntries are the registered kinds as kind blocks of f: set when f's
// Block is of that kind.
func (f *Fault) blockEntries() []kindBlock[FaultKind] {
	var out []kindBlock[FaultKind]
	for _, b := range registeredBlocks() {
		set := f.Block != nil && f.Block.FaultKind() == b.kind
		validate := func(string) []FieldError { return nil }
		if set {
			validate = f.Block.Validate
		}
		out = append(out, kindBlock[FaultKind]{b.kind, set, validate})
	}
	if f.Block != nil {
		if _, ok := lookupBlock(string(f.Block.FaultKind())); !ok {
			// A Go-built fault whose block was never registered.
			out = append(out, kindBlock[FaultKind]{f.Block.FaultKind(), true, func(path string) []FieldError {
				return []FieldError{fieldErr(path, "fault kind %q is not registered in this program (import package kinds)", f.Block.FaultKind())}
			}})
		}
	}
	return out
}

// HostKinds are the fault kinds that act on the host of the worker that
// runs them (routed by host:, not cluster:): process and every registered
// host kind.
func HostKinds() []FaultKind {
	kinds := []FaultKind{FaultProcess}
	for _, b := range registeredBlocks() {
		if b.host {
			kinds = append(kinds, b.kind)
		}
	}
	return kinds
}
