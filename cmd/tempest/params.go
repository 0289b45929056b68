package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/worker"
)

// addSetFlag registers --set KEY=VALUE, the values of a spec's ${KEY}
// parameters; it wins over the environment.
func addSetFlag(cmd *cobra.Command, set *[]string) {
	cmd.Flags().StringArrayVar(set, "set", nil, "the value of the spec's parameter ${KEY}, as `KEY=VALUE` (repeatable; wins over the environment)")
}

// specParams are the parameters of --set, with the environment.
func specParams(set []string) (experiment.Params, error) {
	p := experiment.Params{Set: map[string]string{}, Env: os.LookupEnv}
	for _, kv := range set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return p, &exitError{code: exitErrored, err: fmt.Errorf("--set %q: want KEY=VALUE", kv)}
		}
		p.Set[k] = v
	}
	return p, nil
}

// loadSpec reads an experiment file, resolves its parameters, decodes,
// defaults and validates it. Its error is one line per problem, each
// prefixed with the file name. It prints the parameters the spec used to
// notes, and its warnings to warn.
func loadSpec(path string, set []string, notes, warn io.Writer) (experiment.Experiment, error) {
	params, err := specParams(set)
	if err != nil {
		return experiment.Experiment{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return experiment.Experiment{}, &exitError{code: exitErrored, err: err}
	}
	data, used, warnings, err := experiment.ResolveParams(data, params)
	if err != nil {
		return experiment.Experiment{}, &exitError{code: exitErrored, err: prefixLines(path, err)}
	}
	exp, err := experiment.Decode(path, data)
	if err != nil {
		return experiment.Experiment{}, &exitError{code: exitErrored, err: prefixLines(path, err)}
	}
	if err := worker.CheckKinds(*exp); err != nil {
		return experiment.Experiment{}, &exitError{code: exitErrored, err: prefixLines(path, err)}
	}
	if len(used) > 0 {
		ps := make([]string, len(used))
		for i, p := range used {
			ps[i] = p.String()
		}
		fmt.Fprintf(notes, "%s: parameters: %s\n", path, strings.Join(ps, ", "))
	}
	for _, k := range unusedSets(params.Set, used) {
		fmt.Fprintf(warn, "%s: warning: --set %s: the spec has no ${%s} outside secret fields\n", path, k, k)
	}
	for _, w := range append(warnings, experiment.Warnings(exp, data)...) {
		fmt.Fprintf(warn, "%s: warning: %s\n", path, w)
	}
	return *exp, nil
}

// unusedSets are the --set keys the spec did not use, sorted.
func unusedSets(set map[string]string, used []experiment.Param) []string {
	var unused []string
	for k := range set {
		if !slices.ContainsFunc(used, func(p experiment.Param) bool { return p.Name == k }) {
			unused = append(unused, k)
		}
	}
	slices.Sort(unused)
	return unused
}
