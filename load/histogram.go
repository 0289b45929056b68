package load

import (
	"encoding/json"
	"math"
	"time"
)

// histogramAccuracy is the relative error of a quantile estimate.
const histogramAccuracy = 0.01

// histogramGamma is the ratio between neighbouring bucket bounds.
const histogramGamma = (1 + histogramAccuracy) / (1 - histogramAccuracy)

// Histogram is a mergeable latency histogram with logarithmic buckets
// (relative error ≤1%, about 1,100 buckets span 1µs to 1h), exact count,
// sum, minimum and maximum. Its JSON form lists only non-empty buckets.
type Histogram struct {
	count  int64
	sumUs  int64
	minUs  int64
	maxUs  int64
	counts []int64 // by bucket index
}

// bucketOf is the bucket index of a latency in microseconds (≥1).
func bucketOf(us int64) int {
	if us <= 1 {
		return 0
	}
	return int(math.Ceil(math.Log(float64(us)) / math.Log(histogramGamma)))
}

// bucketValue is the representative latency of bucket i in microseconds.
func bucketValue(i int) float64 {
	if i == 0 {
		return 1
	}
	return 2 * math.Pow(histogramGamma, float64(i)) / (histogramGamma + 1)
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	i := bucketOf(us)
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]int64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	if h.count == 0 || us < h.minUs {
		h.minUs = us
	}
	h.maxUs = max(h.maxUs, us)
	h.count++
	h.sumUs += us
}

// Merge adds o's samples.
func (h *Histogram) Merge(o *Histogram) {
	if o.count == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]int64, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.count == 0 || o.minUs < h.minUs {
		h.minUs = o.minUs
	}
	h.maxUs = max(h.maxUs, o.maxUs)
	h.count += o.count
	h.sumUs += o.sumUs
}

// Count is the number of samples.
func (h *Histogram) Count() int64 { return h.count }

// Quantile returns the q-quantile (0..1), clamped to the exact min and max;
// 0 without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.count)))
	rank = min(max(rank, 1), h.count)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := min(max(bucketValue(i), float64(h.minUs)), float64(h.maxUs))
			return time.Duration(v * float64(time.Microsecond))
		}
	}
	return h.Max()
}

// Min is the smallest sample.
func (h *Histogram) Min() time.Duration { return time.Duration(h.minUs) * time.Microsecond }

// Max is the largest sample.
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxUs) * time.Microsecond }

// Mean is the average sample; 0 without samples.
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.sumUs/h.count) * time.Microsecond
}

// Clone returns an independent copy.
func (h *Histogram) Clone() Histogram {
	c := *h
	c.counts = append([]int64(nil), h.counts...)
	return c
}

// histogramJSON is the wire form: buckets as [index, count] pairs.
type histogramJSON struct {
	Count   int64      `json:"n"`
	SumUs   int64      `json:"sumUs"`
	MinUs   int64      `json:"minUs"`
	MaxUs   int64      `json:"maxUs"`
	Buckets [][2]int64 `json:"b,omitempty"`
}

// MarshalJSON writes the non-empty buckets only.
func (h Histogram) MarshalJSON() ([]byte, error) {
	w := histogramJSON{Count: h.count, SumUs: h.sumUs, MinUs: h.minUs, MaxUs: h.maxUs}
	for i, c := range h.counts {
		if c != 0 {
			w.Buckets = append(w.Buckets, [2]int64{int64(i), c})
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var w histogramJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*h = Histogram{count: w.Count, sumUs: w.SumUs, minUs: w.MinUs, maxUs: w.MaxUs}
	for _, bc := range w.Buckets {
		i := int(bc[0])
		if i < 0 || i > 1<<16 {
			continue
		}
		if i >= len(h.counts) {
			h.counts = append(h.counts, make([]int64, i+1-len(h.counts))...)
		}
		h.counts[i] += bc[1]
	}
	return nil
}
