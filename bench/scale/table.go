package scale

import (
	"fmt"
	"io"
	"strings"
)

// WriteTable writes results as the README's Markdown table: one column per
// result.
func WriteTable(w io.Writer, results []*Result) {
	head := []string{"|"}
	rule := []string{"|---"}
	for _, r := range results {
		head = append(head, fmt.Sprintf(" %s N=%d |", r.Backend, r.N))
		rule = append(rule, "|---:")
	}
	fmt.Fprintf(w, "| |%s\n%s|\n", strings.Join(head[1:], ""), strings.Join(rule, ""))
	row := func(name string, f func(*Result) string) {
		cells := []string{}
		for _, r := range results {
			cells = append(cells, f(r))
		}
		fmt.Fprintf(w, "| %s | %s |\n", name, strings.Join(cells, " | "))
	}
	mib := func(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
	kib := func(b float64) string { return fmt.Sprintf("%.1f KiB", b/(1<<10)) }
	sec := func(m float64) string { return fmt.Sprintf("%.2f s", m/1000) }
	row("verdicts", func(r *Result) string {
		s := strings.Join(r.sortedVerdicts(), ", ")
		if r.Errors > 0 {
			s += fmt.Sprintf(", %d errors", r.Errors)
		}
		return s
	})
	row("start → first inject p50 / p99", func(r *Result) string {
		return sec(r.StartToInjectP50MS) + " / " + sec(r.StartToInjectP99MS)
	})
	row("all started in", func(r *Result) string { return sec(r.StartSpanMS) })
	row("all ended in (hold included)", func(r *Result) string { return sec(r.WallMS) })
	row("experiments / min", func(r *Result) string { return fmt.Sprintf("%.0f", r.PerMinute) })
	row("most running at once", func(r *Result) string { return fmt.Sprintf("%d", r.PeakRunning) })
	row("worker RSS idle → peak (2 workers)", func(r *Result) string {
		return mib(r.WorkerIdleRSS) + " → " + mib(r.WorkerPeakRSS)
	})
	row("worker RSS / 100 running", func(r *Result) string { return mib(r.WorkerRSSPer100) })
	row("worker goroutines / 100 running", func(r *Result) string { return fmt.Sprintf("%.0f", r.WorkerGoroutinesPer100) })
	row("CPU s: server / PostgreSQL / workers / Kubernetes", func(r *Result) string {
		return fmt.Sprintf("%.0f / %.0f / %.0f / %.0f", r.ServerCPU, r.DBCPU, r.WorkerCPU, r.KubeCPU)
	})
	row("server CPU ms / experiment", func(r *Result) string {
		return fmt.Sprintf("%.0f", (r.ServerCPU+r.DBCPU)*1000/float64(r.N))
	})
	row("history events / experiment", func(r *Result) string { return fmt.Sprintf("%.1f", r.HistoryEvents) })
	row("Temporal Cloud actions / experiment (estimate)", func(r *Result) string { return fmt.Sprintf("%.0f", r.Actions) })
	row("history bytes / experiment", func(r *Result) string { return kib(r.HistoryBytes) })
	row("persistence growth / experiment", func(r *Result) string { return kib(r.PersistenceBytes) })
	row("bare client-go: delete p50 / p99", func(r *Result) string {
		if r.Bare == nil {
			return "-"
		}
		return sec(r.Bare.DeleteP50MS) + " / " + sec(r.Bare.DeleteP99MS)
	})
	row("bare client-go: all replaced in", func(r *Result) string {
		if r.Bare == nil {
			return "-"
		}
		return sec(r.Bare.WallMS)
	})
	row("bare deletes / min", func(r *Result) string {
		if r.Bare == nil {
			return "-"
		}
		return fmt.Sprintf("%.0f", r.Bare.PerMinute)
	})
}
