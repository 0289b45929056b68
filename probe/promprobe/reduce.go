package promprobe

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tempest-chaos/tempest/experiment"
)

// sample is [unix seconds, "value"] as the API writes it.
type sample [2]json.RawMessage

func (s sample) value() (string, error) {
	var v string
	if err := json.Unmarshal(s[1], &v); err != nil {
		return "", fmt.Errorf("sample value %s: %w", s[1], err)
	}
	return v, nil
}

type series struct {
	Metric map[string]string `json:"metric"`
	Value  sample            `json:"value"`
	Values []sample          `json:"values"`
}

// reduce turns a query result into one value. empty reports no data; why
// explains a result that cannot be judged (it fails the observation).
func reduce(res result, r *experiment.PromRange) (value string, empty bool, why string) {
	switch res.Type {
	case "scalar":
		var s sample
		if err := json.Unmarshal(res.Result, &s); err != nil {
			return "", false, "unreadable scalar: " + err.Error()
		}
		v, err := s.value()
		if err != nil {
			return "", false, err.Error()
		}
		return v, false, ""
	case "vector", "matrix":
	default:
		return "", false, fmt.Sprintf("query returned a %s; want a scalar or one series", res.Type)
	}
	var all []series
	if err := json.Unmarshal(res.Result, &all); err != nil {
		return "", false, fmt.Sprintf("unreadable %s: %v", res.Type, err)
	}
	switch {
	case len(all) == 0:
		return "", true, ""
	case len(all) > 1:
		return "", false, fmt.Sprintf("query returned %d series (%s); aggregate to one, e.g. sum(...) or max(...)", len(all), describe(all))
	}
	one := all[0]
	if res.Type == "vector" {
		v, err := one.Value.value()
		if err != nil {
			return "", false, err.Error()
		}
		return v, false, ""
	}
	if len(one.Values) == 0 {
		return "", true, ""
	}
	reduction := experiment.ReduceLast
	if r != nil {
		reduction = r.Reduce
	}
	v, err := reduceValues(one.Values, reduction)
	if err != nil {
		return "", false, err.Error()
	}
	return v, false, ""
}

func reduceValues(samples []sample, reduction experiment.Reduction) (string, error) {
	if reduction == experiment.ReduceLast {
		return samples[len(samples)-1].value()
	}
	var acc float64
	for i, s := range samples {
		text, err := s.value()
		if err != nil {
			return "", err
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return "", fmt.Errorf("sample %q is not a number", text)
		}
		switch {
		case i == 0:
			acc = f
		case reduction == experiment.ReduceMin:
			acc = math.Min(acc, f)
		case reduction == experiment.ReduceMax:
			acc = math.Max(acc, f)
		default: // avg: sum first
			acc += f
		}
	}
	if reduction == experiment.ReduceAvg {
		acc /= float64(len(samples))
	}
	return strconv.FormatFloat(acc, 'g', -1, 64), nil
}

// describe lists up to three series' label sets.
func describe(all []series) string {
	const show = 3
	parts := make([]string, 0, show)
	for _, s := range all[:min(len(all), show)] {
		labels := make([]string, 0, len(s.Metric))
		for k, v := range s.Metric {
			labels = append(labels, k+"="+strconv.Quote(v))
		}
		slices.Sort(labels) // map order is random; keep the message stable
		parts = append(parts, "{"+strings.Join(labels, ",")+"}")
	}
	if len(all) > show {
		parts = append(parts, "...")
	}
	return strings.Join(parts, " ")
}
