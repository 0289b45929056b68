package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/temporalconn"
	"github.com/tempest-chaos/tempest/temporalconn/tlstest"
	"github.com/tempest-chaos/tempest/testenv/temporalcluster"
	"github.com/tempest-chaos/tempest/workflows"
)

// pgCluster is the PostgreSQL Temporal cluster of deploy/temporal-cluster,
// as its cluster.env describes it.
type pgCluster struct {
	state                                 string
	address, mtlsAddress, namespace       string
	tlsCA, tlsCert, tlsKey, tlsServerName string
}

var (
	pgClusterOnce sync.Once
	pgClusterVal  pgCluster
	pgClusterErr  error
)

// temporalCluster starts the cluster with its mTLS frontend through
// up.sh, or reuses it when it is up (`go tool task test` starts it first).
// The first build of the server is slow: up.sh's own output says so.
func temporalCluster(t *testing.T) pgCluster {
	t.Helper()
	pgClusterOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		cl, err := temporalcluster.Up(ctx, "..", true)
		if err != nil {
			pgClusterErr = err
			return
		}
		c := pgCluster{state: cl.State, address: cl.Address, mtlsAddress: cl.MTLSAddress, namespace: cl.Namespace,
			tlsCA: cl.TLSCA, tlsCert: cl.TLSCert, tlsKey: cl.TLSKey, tlsServerName: cl.TLSServerName}
		pgClusterVal = c
	})
	if pgClusterErr != nil {
		t.Fatal(pgClusterErr)
	}
	return pgClusterVal
}

// cliRun is what a tempest command printed and its exit code.
type cliRun struct {
	stdout, stderr string
	code           int
}

// clusterCLI runs tempest with args (bounded) and returns its output.
func clusterCLI(t *testing.T, bin string, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := cliRun{}
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("tempest %v: %v", args, err)
		}
		r.code = ee.ExitCode()
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	return r
}

// tlsFlags are the tempest CLI flags of the cluster's client certificate.
func (c pgCluster) tlsFlags() []string {
	return []string{"--tls-ca", c.tlsCA, "--tls-cert", c.tlsCert, "--tls-key", c.tlsKey, "--tls-server-name", c.tlsServerName}
}

// dial connects an SDK client to the cluster's plain frontend, or with
// opts set, to its mTLS frontend.
func (c pgCluster) dial(t *testing.T, opts *temporalconn.Options) (client.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if opts == nil {
		return client.DialContext(ctx, client.Options{HostPort: c.address, Namespace: c.namespace})
	}
	s, err := opts.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s.Dial(ctx, client.Options{HostPort: c.mtlsAddress, Namespace: c.namespace})
}

// clusterWorker starts `tempest worker` against the cluster (extra: TLS
// flags and the address of the mTLS frontend) and stops it at the end.
func clusterWorker(t *testing.T, tempestBin, queue string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"worker", "--task-queue", queue, "--worker-state-dir", t.TempDir()}, extra...)
	cmd := exec.Command(tempestBin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// representativeSpec kills the target (restarting it) while 20 req/s
// load runs against it, with probes before and after, and one watching
// that a neighbour keeps serving throughout.
func representativeSpec(name string, tg, neighbour target) string {
	return fmt.Sprintf(`kind: Experiment
metadata:
  name: %s
spec:
  hypothesis: the target serves again after a kill and the load before it is clean
  faults:
    - name: kill-target
      startAfter: 2s
      duration: 2s
      process:
        selector: {port: %d}
        signal: SIGKILL
        restart: [%s]
        restartTimeout: 20s
  probes:
    - name: serving-before
      mode: SOT
      http: {url: "http://%s/healthz"}
    - name: neighbour-serving
      mode: Continuous
      interval: 500ms
      timeout: 1s
      http: {url: "http://%s/healthz"}
    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 20
      http: {url: "http://%s/healthz"}
  load:
    rate: 20/s
    duration: 8s
    timeout: 1s
    targets:
      - url: http://%s/
    thresholds:
      # A request in flight at the kill may count in the baseline.
      "http_req_failed{phase:baseline}": ["rate<0.1"]
      http_reqs: ["count>100"]
`, name, tg.port, quoteAll(tg.argv()), tg.addr, neighbour.addr, tg.addr, tg.addr)
}

// TestTemporalClusterServices: the cluster is four temporal-server
// processes, one per service, with more than one history shard.
func TestTemporalClusterServices(t *testing.T) {
	c := temporalCluster(t)
	seen := map[int]bool{}
	for _, svc := range []string{"frontend", "history", "matching", "worker"} {
		b, err := os.ReadFile(filepath.Join(c.state, "pids", svc+".pid"))
		if err != nil {
			t.Fatal(err)
		}
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err != nil {
			t.Fatal(err)
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatalf("%s (pid %d) is not running: %v", svc, pid, err)
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if filepath.Base(args[0]) != "temporal-server" || args[len(args)-1] != svc || seen[pid] {
			t.Fatalf("%s: pid %d runs %q, want its own temporal-server ... --service %s", svc, pid, args, svc)
		}
		seen[pid] = true
	}
	cl, err := c.dial(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	info, err := cl.WorkflowService().GetClusterInfo(context.Background(), &workflowservice.GetClusterInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetHistoryShardCount() < 2 || info.GetPersistenceStore() != "postgres12" {
		t.Fatalf("cluster info: %d shards on %q, want more than one on postgres12", info.GetHistoryShardCount(), info.GetPersistenceStore())
	}
}

// TestTemporalClusterExperiment runs a process kill with probes and load
// through `tempest run --address` and two `tempest worker` processes on
// the cluster, unchanged from the embedded server: Passed, one
// injection and one revert, the load split by phase, and the run found
// by Tempest's search attributes in the cluster's PostgreSQL visibility.
func TestTemporalClusterExperiment(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	c := temporalCluster(t)
	queue := fmt.Sprintf("it-pg-%d", time.Now().UnixNano())
	clusterWorker(t, tempestBin, queue, "--address", c.address)
	clusterWorker(t, tempestBin, queue, "--address", c.address)
	tg, neighbour := startTarget(t, targetBin), startTarget(t, targetBin)
	name := fmt.Sprintf("pg-representative-%d", time.Now().UnixNano()%1_000_000)
	specPath := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(specPath, []byte(representativeSpec(name, tg, neighbour)), 0o644); err != nil {
		t.Fatal(err)
	}

	r := clusterCLI(t, tempestBin, "run", "--address", c.address, "--task-queue", queue, "--output", "json", specPath)
	var rep struct {
		WorkflowID string             `json:"workflowId"`
		Verdict    experiment.Verdict `json:"verdict"`
		Reasons    []string           `json:"reasons"`
		Faults     []struct {
			Injections, Reverts int
		} `json:"faults"`
		Probes []struct {
			Name   string `json:"name"`
			Passed bool   `json:"passed"`
		} `json:"probes"`
		Load *experiment.LoadReport `json:"load"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("tempest run exited %d: %v\nstdout: %s\nstderr: %s", r.code, err, r.stdout, r.stderr)
	}
	if r.code != 0 || rep.Verdict != experiment.VerdictPassed {
		t.Fatalf("exit %d, verdict %s, reasons %v\nstderr: %s", r.code, rep.Verdict, rep.Reasons, r.stderr)
	}
	if len(rep.Faults) != 1 || rep.Faults[0].Injections != 1 || rep.Faults[0].Reverts != 1 {
		t.Fatalf("faults %+v, want 1 injection and 1 revert", rep.Faults)
	}
	if got := countLines(t, tg.starts); got != 2 {
		t.Fatalf("target started %d times, want 2 (the first start and one restart)", got)
	}
	if len(rep.Probes) != 3 {
		t.Fatalf("probes %+v, want 3", rep.Probes)
	}
	if rep.Load == nil || rep.Load.Requests < 100 {
		t.Fatalf("load %+v, want at least 100 requests", rep.Load)
	}
	phases := map[string]experiment.PhaseMetrics{}
	for _, p := range rep.Load.Phases {
		phases[p.Phase] = p
	}
	if b := phases["baseline"]; b.Requests == 0 || b.SuccessRatio < 0.9 {
		t.Fatalf("baseline %+v, want requests that succeeded", b)
	}

	cl, err := c.dial(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	query := fmt.Sprintf("%s = %q AND %s = %q", workflows.AttrExperiment.GetName(), name, workflows.AttrVerdict.GetName(), experiment.VerdictPassed)
	waitFor(t, time.Minute, "the run in visibility by "+query, func() bool {
		resp, err := cl.WorkflowService().ListWorkflowExecutions(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: c.namespace, Query: query})
		return err == nil && len(resp.GetExecutions()) == 1 && resp.GetExecutions()[0].GetExecution().GetWorkflowId() == rep.WorkflowID
	})
}

// TestTemporalClusterWorkerKilledMidHold kills -9 the only worker while
// the fault is held; a new worker process finishes the run on the
// cluster: the revert runs exactly once and the verdict is Passed.
func TestTemporalClusterWorkerKilledMidHold(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	c := temporalCluster(t)
	cl, err := c.dial(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tg := startTarget(t, targetBin)
	queue := fmt.Sprintf("it-pg-crash-%d", time.Now().UnixNano())
	first := clusterWorker(t, tempestBin, queue, "--address", c.address)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, cl, decode(t, killSpec(tg, 10*time.Second, tg.argv())), starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the fault to be injected", func() bool {
		st, err := run.Status(ctx)
		return err == nil && len(st.ActiveFaults) == 1
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()
	if got := countLines(t, tg.starts); got != 1 {
		t.Fatalf("target started %d times before the new worker, want 1 (the kill held)", got)
	}
	clusterWorker(t, tempestBin, queue, "--address", c.address)

	res, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if f := res.Faults[0]; f.Injections != 1 || f.Reverts != 1 {
		t.Fatalf("fault %+v, want 1 injection and 1 revert", f)
	}
	if got := countLines(t, tg.starts); got != 2 {
		t.Fatalf("target started %d times, want 2: the revert must run exactly once", got)
	}
}

// TestTemporalClusterMTLS runs an experiment through the cluster's mTLS
// frontend with `tempest worker` and `tempest run` given the client
// certificate, and checks the frontend refuses a client with no
// certificate, one of another CA, and one not speaking TLS.
func TestTemporalClusterMTLS(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	c := temporalCluster(t)
	queue := fmt.Sprintf("it-pg-mtls-%d", time.Now().UnixNano())
	clusterWorker(t, tempestBin, queue, append([]string{"--address", c.mtlsAddress}, c.tlsFlags()...)...)
	tg := startTarget(t, targetBin)
	specPath := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(specPath, []byte(killSpec(tg, 2*time.Second, tg.argv())), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run", "--address", c.mtlsAddress, "--task-queue", queue, "--output", "json"}, c.tlsFlags()...)
	r := clusterCLI(t, tempestBin, append(args, specPath)...)
	var rep struct {
		Verdict experiment.Verdict `json:"verdict"`
		Reasons []string           `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || rep.Verdict != experiment.VerdictPassed {
		t.Fatalf("tempest run over mTLS: exit %d, verdict %s, reasons %v (%v)\nstderr: %s", r.code, rep.Verdict, rep.Reasons, err, r.stderr)
	}
	if got := countLines(t, tg.starts); got != 2 {
		t.Fatalf("target started %d times, want 2", got)
	}

	good, err := c.dial(t, &temporalconn.Options{TLSCA: c.tlsCA, TLSCert: c.tlsCert, TLSKey: c.tlsKey, TLSServerName: c.tlsServerName})
	if err != nil {
		t.Fatalf("the right certificate: %v", err)
	}
	good.Close()
	stranger := tlstest.New(t)
	for _, tc := range []struct {
		name string
		opts temporalconn.Options
	}{
		{"no client certificate", temporalconn.Options{TLSCA: c.tlsCA, TLSServerName: c.tlsServerName}},
		{"a certificate of another CA", temporalconn.Options{TLSCA: c.tlsCA, TLSServerName: c.tlsServerName,
			TLSCert: stranger.StrangerCert, TLSKey: stranger.StrangerKey}},
	} {
		if cl, err := c.dial(t, &tc.opts); err == nil {
			cl.Close()
			t.Errorf("%s: the mTLS frontend accepted the client", tc.name)
		}
	}
	// Plain gRPC to the TLS port: no TLS handshake, refused.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if cl, err := client.DialContext(ctx, client.Options{HostPort: c.mtlsAddress, Namespace: c.namespace}); err == nil {
		cl.Close()
		t.Errorf("without TLS: the mTLS frontend accepted the client")
	}
	// The CLI without the certificate: refused, exit 2 naming TLS, and
	// nothing started (the target was not killed again).
	r = clusterCLI(t, tempestBin, "run", "--address", c.mtlsAddress, "--task-queue", queue,
		"--tls-ca", c.tlsCA, "--tls-server-name", c.tlsServerName, specPath)
	if r.code != 2 || !strings.Contains(strings.ToLower(r.stderr), "tls") {
		t.Errorf("tempest run without a client certificate: exit %d, stderr %q; want 2 and a refusal naming TLS", r.code, r.stderr)
	}
	if got := countLines(t, tg.starts); got != 2 {
		t.Errorf("target started %d times after the refused run, want still 2", got)
	}
}
