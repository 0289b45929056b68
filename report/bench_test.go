package report

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkRenderHourRun renders each format of a synthetic one-hour run
// at 1,000 req/s (3,600 load points, 60 injections) and reports its size.
func BenchmarkRenderHourRun(b *testing.B) {
	r := hourRun()
	for _, f := range []struct {
		name   string
		render func(io.Writer, Run) error
	}{{"html", HTML}, {"markdown", Markdown}, {"junit", JUnit}, {"json", JSON}} {
		b.Run(f.name, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := f.render(&buf, r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
}
