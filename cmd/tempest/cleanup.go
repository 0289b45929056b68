package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/kinds"
	"github.com/tempest-chaos/tempest/worker"
)

func newCleanupCommand(g *globalFlags) *cobra.Command {
	var runID, stateDir string
	cmd := &cobra.Command{
		Use:   "cleanup [--run RUN-ID]",
		Short: "Revert what ended runs left behind: host faults from this host's worker ledger and markers, Kubernetes objects by their run-ID label",
		Long: "Reverts the faults of runs that have ended (Temporal is asked; a run still running is skipped):\n" +
			"  - every fault in the ledger of this host's workers (--worker-state-dir), process faults included;\n" +
			"    no kubeconfig is needed for them;\n" +
			"  - host faults that mark what they change with their run (network tables, stressors, fill files),\n" +
			"    found on this host even without a ledger entry;\n" +
			"  - with --kubeconfig (in a pod without one: the pod's ServiceAccount), Kubernetes objects Tempest\n" +
			"    changed or created, found by the tempest.dev/run-id label: scaled workloads get their recorded\n" +
			"    replicas back, nodes Tempest cordoned are uncordoned, partition NetworkPolicies are deleted.\n" +
			"With --run it reverts that run's faults whatever Temporal says, and needs no connection to Temporal.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := &cleanup{g: g, runID: runID, out: cmd.OutOrStdout()}
			return c.run(cmd.Context(), stateDir)
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "Temporal run ID of the experiment: revert its faults even if the run has not ended (default: every ended run)")
	cmd.Flags().StringVar(&stateDir, "worker-state-dir", worker.DefaultStateDir(), "state dir of this host's workers, whose ledger lists the faults they put in place")
	return cmd
}

// cleanup is one `tempest cleanup`.
type cleanup struct {
	g     *globalFlags
	runID string
	out   io.Writer

	sess     *session
	reverted int
	skipped  int
	errs     []error
}

func (c *cleanup) run(ctx context.Context, stateDir string) error {
	defer func() {
		if c.sess != nil {
			c.sess.Close()
		}
	}()
	var kc kubernetes.Interface
	if c.g.kubeconfig != "" {
		client, _, err := kube.NewClient(c.g.kubeconfig)
		if err != nil {
			return &exitError{code: exitErrored, err: fmt.Errorf("--kubeconfig %s: %w", c.g.kubeconfig, err)}
		}
		kc = client
	} else {
		// In a pod (the in-cluster worker's), its ServiceAccount; on a
		// host with no kubeconfig, only the host's own faults.
		client, _, err := inClusterClient()
		switch {
		case err == nil:
			kc = client
			fmt.Fprintln(c.out, "Kubernetes: the pod's ServiceAccount (no --kubeconfig)")
		case !errors.Is(err, fs.ErrNotExist):
			return &exitError{code: exitErrored, err: fmt.Errorf("no --kubeconfig, and %w", err)}
		}
	}
	acts, closeActs := worker.NewActivities(worker.Config{StateDir: stateDir, Kube: kc})
	defer closeActs()
	if err := c.ledger(ctx, acts); err != nil {
		return err
	}
	if err := c.sweep(ctx, acts); err != nil {
		return err
	}
	if kc != nil {
		if err := c.kube(ctx, kc); err != nil {
			return err
		}
	}
	if c.reverted == 0 && c.skipped == 0 && len(c.errs) == 0 {
		fmt.Fprintln(c.out, "nothing left behind")
	}
	if len(c.errs) > 0 {
		return &exitError{code: exitErrored, err: fmt.Errorf("cleanup: %w", errors.Join(c.errs...))}
	}
	return nil
}

// ended says whether run has ended (else why it is skipped, and whether
// it runs), connecting to Temporal on first use; with --run only that run
// counts, as ended, and Temporal is not asked.
func (c *cleanup) ended(ctx context.Context, run fault.Run) (ended, running bool, why string, err error) {
	if c.runID != "" {
		return run.RunID == c.runID, false, "", nil
	}
	if c.sess == nil {
		sess, err := connect(ctx, c.g, false)
		if err != nil {
			return false, false, "", err
		}
		c.sess = sess
	}
	st, err := activities.RunStatus(ctx, c.sess.client, run)
	if errors.Is(err, activities.ErrRunNotFound) {
		return false, false, "unknown to Temporal at this address and namespace; name it with --run", nil
	}
	if err != nil {
		return false, false, "", err
	}
	if !st.Closed {
		return false, true, "run still " + st.Status, nil
	}
	return true, false, "", nil
}

func (c *cleanup) skip(what, why string) {
	if why == "" {
		return // another run than --run
	}
	c.skipped++
	fmt.Fprintf(c.out, "skipped %s: %s\n", what, why)
}

// ledger reverts the ledger's injections of ended runs. One whose target
// a running run's injection holds is only dropped, as the watchdog does.
func (c *cleanup) ledger(ctx context.Context, acts *activities.Activities) error {
	entries, err := acts.Ledger.Entries()
	if err != nil {
		c.errs = append(c.errs, err)
	}
	ended := make([]bool, len(entries))
	held := map[string]string{}
	for i, e := range entries {
		ok, running, why, err := c.ended(ctx, e.Request.Run)
		if err != nil {
			return err
		}
		ended[i] = ok
		if running {
			held[worker.HeldKey(e.Request)] = e.Request.Run.RunID
		}
		if !ok {
			c.skip(describeEntry(e), why)
		}
	}
	for i, e := range entries {
		if !ended[i] {
			continue
		}
		what := describeEntry(e)
		if holder, ok := held[worker.HeldKey(e.Request)]; ok {
			if err := acts.Fences.Fence(ctx, e.Request); err == nil {
				err = acts.Ledger.Remove(e.Request)
			}
			if err != nil {
				c.errs = append(c.errs, fmt.Errorf("%s: %w", what, err))
				continue
			}
			c.skipped++
			fmt.Fprintf(c.out, "dropped %s: its target is held by running run %s, whose revert restores it\n", what, holder)
			continue
		}
		if err := acts.RevertRecorded(ctx, e); err != nil {
			c.errs = append(c.errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		c.reverted++
		fmt.Fprintln(c.out, "reverted", what)
	}
	return nil
}

// sweep removes what ended runs left that the ledger does not list (a
// worker killed between a change and its ledger entry, a ledger lost):
// each registered fault kind that can find its own leftovers by marker
// (fault.Sweeper: network tables, stressors, fill files) is asked.
func (c *cleanup) sweep(ctx context.Context, acts *activities.Activities) error {
	for _, k := range kinds.Faults {
		impl, ok := acts.Faults.Lookup(k.Name())
		sw, isSweeper := impl.(fault.Sweeper)
		if !ok || !isSweeper {
			continue
		}
		left, err := sw.Leftovers(ctx)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("%s leftovers: %w", k.Name(), err))
			continue
		}
		for _, l := range left {
			what := fmt.Sprintf("%s fault leftover: %s (run %s)", k.Name(), l.What, l.Run.RunID)
			ok, _, why, err := c.ended(ctx, l.Run)
			if err != nil {
				return err
			}
			if !ok {
				c.skip(what, why)
				continue
			}
			if err := l.Remove(ctx); err != nil {
				c.errs = append(c.errs, fmt.Errorf("%s: %w", what, err))
				continue
			}
			c.reverted++
			fmt.Fprintln(c.out, "removed", what)
		}
	}
	return nil
}

func describeEntry(e activities.LedgerEntry) string {
	r := e.Request
	return fmt.Sprintf("%s fault %q on %s (run %s, injection %d)", r.Fault.Kind(), r.Fault.Name, r.Target.ID, r.Run.RunID, r.Injection)
}

// kube reverts the labelled Kubernetes objects of ended runs.
func (c *cleanup) kube(ctx context.Context, kc kubernetes.Interface) error {
	runs := map[string]string{c.runID: ""} // run-ID label -> workflow ID
	if c.runID == "" {
		found, err := labelledRuns(ctx, kc)
		if err != nil {
			c.errs = append(c.errs, err)
		}
		runs = found
	}
	labels := make([]string, 0, len(runs))
	for l := range runs {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, label := range labels {
		if c.runID == "" {
			what := "Kubernetes objects labelled " + kube.LabelRunID + "=" + label
			if runs[label] == "" {
				c.skip(what, "no "+kube.AnnotationWorkflowID+" annotation; name the run with --run")
				continue
			}
			run := fault.Run{WorkflowID: runs[label], RunID: label}
			if strings.HasPrefix(label, "h-") {
				run.RunID = "" // a hashed run ID: ask about the workflow's newest run
			}
			ok, _, why, err := c.ended(ctx, run)
			if err != nil {
				return err
			}
			if !ok {
				c.skip(what, why)
				continue
			}
		}
		done, err := kube.Cleanup(ctx, kc, label)
		for _, line := range done {
			c.reverted++
			fmt.Fprintln(c.out, "reverted", line)
		}
		if err != nil {
			c.errs = append(c.errs, err)
		}
	}
	return nil
}

// labelledRuns finds the run-ID labels (and the workflow ID annotation) on
// everything Tempest's Kubernetes faults change or create.
func labelledRuns(ctx context.Context, kc kubernetes.Interface) (map[string]string, error) {
	opts := metav1.ListOptions{LabelSelector: kube.LabelRunID}
	runs := map[string]string{}
	add := func(o metav1.Object) {
		label := o.GetLabels()[kube.LabelRunID]
		if wf := o.GetAnnotations()[kube.AnnotationWorkflowID]; label != "" && (wf != "" || runs[label] == "") {
			runs[label] = wf
		}
	}
	var errs []error
	note := func(what string, err error) { errs = append(errs, kube.APIError(err, "list", what, "")) }
	if l, err := kc.AppsV1().Deployments("").List(ctx, opts); err != nil {
		note("deployments", err)
	} else {
		for i := range l.Items {
			add(&l.Items[i])
		}
	}
	if l, err := kc.AppsV1().StatefulSets("").List(ctx, opts); err != nil {
		note("statefulsets", err)
	} else {
		for i := range l.Items {
			add(&l.Items[i])
		}
	}
	if l, err := kc.CoreV1().Nodes().List(ctx, opts); err != nil {
		note("nodes", err)
	} else {
		for i := range l.Items {
			add(&l.Items[i])
		}
	}
	if l, err := kc.NetworkingV1().NetworkPolicies("").List(ctx, opts); err != nil {
		note("networkpolicies", err)
	} else {
		for i := range l.Items {
			add(&l.Items[i])
		}
	}
	if l, err := kc.CoreV1().Pods("").List(ctx, opts); err != nil {
		note("pods", err)
	} else {
		for i := range l.Items {
			add(&l.Items[i])
		}
	}
	return runs, errors.Join(errs...)
}
