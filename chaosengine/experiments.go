package chaosengine

import (
	"fmt"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// Kind is one experiment of the mix, with the verdict its target's known
// behaviour calls for.
type Kind string

// The experiments of the mix. Each runs alone on its target.
const (
	// KillRestart kills the target and restarts it as the revert; an EOT
	// probe sees it serve again: Passed.
	KillRestart Kind = "kill-restart"
	// KillNoRestart kills the target and never restarts it; the EOT probe
	// fails: Failed (the harness restarts the target afterwards).
	KillNoRestart Kind = "kill-norestart"
	// Pause stops the target (SIGSTOP) and resumes it (SIGCONT), with a
	// Continuous TCP probe (the kernel still accepts for a stopped process)
	// and an EOT probe: Passed.
	Pause Kind = "pause"
	// Repeating pauses the target every interval, with a Continuous probe:
	// Passed.
	Repeating Kind = "repeating"
	// Load kills and restarts the target under an HTTP load whose
	// thresholds only ask that the baseline served: Passed.
	Load Kind = "load"
)

// Kinds is the mix, in the order a target's loop cycles through it.
var Kinds = []Kind{KillRestart, Pause, Repeating, Load, KillNoRestart}

// expectedVerdict is the verdict of an experiment nobody aborted or
// terminated.
func (k Kind) expectedVerdict() experiment.Verdict {
	if k == KillNoRestart {
		return experiment.VerdictFailed
	}
	return experiment.VerdictPassed
}

// kills reports whether the kind's fault kills (else it pauses).
func (k Kind) kills() bool { return k == KillRestart || k == KillNoRestart || k == Load }

// restarts reports whether the kind's revert restarts the target.
func (k Kind) restarts() bool { return k == KillRestart || k == Load }

// spec is the experiment's YAML for target tg.
func (k Kind) spec(name string, tg *Target) string {
	restart := "        restart: [" + quoteAll(tg.Argv) + "]\n"
	eot := fmt.Sprintf(`    - name: serving-after
      mode: EOT
      timeout: 1s
      interval: 500ms
      retries: 10
      http: {url: "http://%s/healthz"}
`, tg.Addr)
	continuous := fmt.Sprintf(`    - name: tcp-open
      mode: Continuous
      interval: 500ms
      timeout: 2s
      tcp: {address: "%s"}
`, tg.Addr)
	head := fmt.Sprintf("kind: Experiment\nmetadata: {name: %s}\nspec:\n  hypothesis: %s\n  faults:\n", name, k)
	switch k {
	case KillRestart:
		return head + fmt.Sprintf(`    - name: kill
      startAfter: 1s
      duration: 4s
      process:
        selector: {port: %s}
        signal: SIGKILL
`, tg.Port) + restart + "  probes:\n" + eot
	case KillNoRestart:
		return head + fmt.Sprintf(`    - name: kill
      duration: 2s
      process:
        selector: {port: %s}
        signal: SIGKILL
`, tg.Port) + "  probes:\n" + strings.Replace(eot, "retries: 10", "retries: 3", 1)
	case Pause:
		return head + fmt.Sprintf(`    - name: pause
      startAfter: 1s
      duration: 4s
      process:
        selector: {port: %s}
        action: pause
`, tg.Port) + "  probes:\n" + continuous + eot
	case Repeating:
		return head + fmt.Sprintf(`    - name: pause-repeating
      duration: 8s
      interval: 2s
      hold: 1s
      process:
        selector: {port: %s}
        action: pause
`, tg.Port) + "  probes:\n" + continuous + eot
	case Load:
		return head + fmt.Sprintf(`    - name: kill
      startAfter: 3s
      duration: 3s
      process:
        selector: {port: %s}
        signal: SIGKILL
`, tg.Port) + restart + "  probes:\n" + eot + fmt.Sprintf(`  load:
    rate: 20/s
    duration: 9s
    timeout: 1s
    targets:
      - url: http://%s/
    thresholds:
      "http_req_failed{phase:baseline}": ["rate<0.5"]
`, tg.Addr)
	}
	panic("unknown kind " + string(k))
}

func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, ", ")
}

// decodeSpec parses a spec built by Kind.spec.
func decodeSpec(yaml string) (experiment.Experiment, error) {
	exp, err := experiment.Decode("chaosengine.yaml", []byte(yaml))
	if err != nil {
		return experiment.Experiment{}, fmt.Errorf("spec: %w\n%s", err, yaml)
	}
	return *exp, nil
}

// planned is about how long the experiment takes undisturbed.
func (k Kind) planned() time.Duration {
	switch k {
	case Repeating, Load:
		return 15 * time.Second
	}
	return 10 * time.Second
}
