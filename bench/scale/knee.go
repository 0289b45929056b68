package scale

import (
	"context"
	"fmt"
	"runtime"
)

// Knee measures cfg at twice base's N (or at from, with no base), doubling
// N up to limit until something gives: a run that does not pass (an
// error, a verdict other than Passed), a measurement that fails, or
// throughput that stops growing (experiments per minute up less than 10%
// for twice the experiments). It returns every
// result and what gave ("" if nothing did up to limit); each, if not nil,
// is called with every result as soon as it is measured.
func Knee(ctx context.Context, cfg Config, base *Result, from, limit int, each func(*Result)) ([]*Result, string) {
	var out []*Result
	prev := base
	if base != nil {
		from = 2 * base.N
	}
	for n := from; n <= limit; n *= 2 {
		cfg.N = n
		r, err := Run(ctx, cfg)
		if r != nil {
			out = append(out, r)
			if each != nil {
				each(r)
			}
		}
		if err != nil {
			return out, fmt.Sprintf("N=%d: the measurement failed: %v", n, err)
		}
		if why := gave(prev, r); why != "" {
			return out, why
		}
		prev = r
	}
	return out, ""
}

// gave says what gave at r, measured after prev (nil: none): runs that
// did not all Pass, or experiments per minute up less than 10% over
// prev's; "" if nothing did.
func gave(prev, r *Result) string {
	if r.Errors > 0 || r.Passed() != r.N {
		return fmt.Sprintf("N=%d: %d of %d Passed, %d errors (first: %s)", r.N, r.Passed(), r.N, r.Errors, r.FirstError)
	}
	if prev != nil && r.PerMinute < 1.1*prev.PerMinute {
		return fmt.Sprintf("N=%d: throughput stopped growing (%.0f → %.0f experiments/min for %.0fx the experiments; start → inject p99 %.1f s → %.1f s); %s",
			r.N, prev.PerMinute, r.PerMinute, float64(r.N)/float64(prev.N), prev.StartToInjectP99MS/1000, r.StartToInjectP99MS/1000, r.CPUShare())
	}
	return ""
}

// CPUShare says how busy the machine's cores were during the run and who
// used them.
func (r *Result) CPUShare() string {
	wall := r.WallMS / 1000
	if wall <= 0 {
		return ""
	}
	cores := float64(runtime.NumCPU())
	total := r.ServerCPU + r.DBCPU + r.WorkerCPU + r.KubeCPU
	return fmt.Sprintf("the %d cores %.0f%% busy with the measured processes (server %.0f%%, PostgreSQL %.0f%%, workers %.0f%%, Kubernetes %.0f%% of one core)",
		int(cores), 100*total/(wall*cores), 100*r.ServerCPU/wall, 100*r.DBCPU/wall, 100*r.WorkerCPU/wall, 100*r.KubeCPU/wall)
}
