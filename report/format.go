package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

func itoa(n int) string { return strconv.Itoa(n) }

func sortStable(evs []Event) {
	slices.SortStableFunc(evs, func(a, b Event) int { return a.At.Compare(b.At) })
}

// offset is t relative to the run's start, "+12.3s"; "" for a zero t.
func offset(start, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := t.Sub(start)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return sign + roundDuration(d).String()
}

// roundDuration keeps a duration readable: milliseconds under a minute,
// seconds above.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// clock is t in UTC to the millisecond; "" for a zero t.
func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("15:04:05.000")
}

func percent(ratio float64) string { return strconv.FormatFloat(100*ratio, 'f', 1, 64) + "%" }

func ms(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " ms" }

// verdictPassed reports whether a verdict counts as green.
func verdictPassed(v experiment.Verdict) bool {
	return v == experiment.VerdictPassed || v == experiment.VerdictDryRun
}

// heldText describes an injection's hold: "5s of 5s", "cut short: ...".
func heldText(in Injection) string {
	var parts []string
	switch {
	case in.Held > 0 && in.Planned > 0:
		parts = append(parts, fmt.Sprintf("%s of %s", roundDuration(in.Held), in.Planned))
	case in.Held > 0:
		parts = append(parts, roundDuration(in.Held).String())
	case in.Planned > 0:
		parts = append(parts, "planned "+in.Planned.String())
	}
	if in.CutShort != "" {
		parts = append(parts, "cut short: "+in.CutShort)
	}
	return strings.Join(parts, "; ")
}

// injectionOutcome says what became of an injection, for people.
func injectionOutcome(in Injection) string {
	switch {
	case in.InjectError != "" && in.RevertedAt.IsZero():
		return "inject failed: " + in.InjectError
	case in.RevertError != "":
		return "revert failed, may be left behind: " + in.RevertError
	case in.At.IsZero() && !in.RevertedAt.IsZero():
		return "inject outcome unknown; reverted"
	case !in.At.IsZero() && in.RevertedAt.IsZero():
		return "not reverted"
	case in.InjectError != "":
		return "inject failed (" + in.InjectError + "); reverted"
	default:
		return "reverted"
	}
}

// runDuration is how long the run took.
func runDuration(r experiment.Result) time.Duration {
	if r.StartedAt.IsZero() || r.EndedAt.IsZero() {
		return 0
	}
	return r.EndedAt.Sub(r.StartedAt)
}
