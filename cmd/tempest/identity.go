package main

import (
	"fmt"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/worker"
)

// identityFlag is a flag a worker takes at most once: a worker has one
// host and one cluster, and a second value is a mistake, not an override.
type identityFlag struct {
	name  string
	value string
	set   bool
}

func (f *identityFlag) String() string { return f.value }
func (f *identityFlag) Type() string   { return "string" }

func (f *identityFlag) Set(v string) error {
	if f.set && v != f.value {
		return fmt.Errorf("a worker has one %s: got %q and %q", f.name, f.value, v)
	}
	f.value, f.set = v, true
	return nil
}

// routing is which task queues this process's worker polls.
func (g *globalFlags) routing(id activities.Identity, kube bool) worker.Routing {
	return worker.Routing{Base: g.taskQueue, Identity: id, Default: g.defaultHost, Kube: kube, Limits: g.limits}
}
