package experiment

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is an arrival rate: Freq requests every Per.
type Rate struct {
	Freq int
	Per  time.Duration
}

// PerSecond is the rate in requests per second.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) / r.Per.Seconds()
}

// String formats the rate as written in a spec ("100/s").
func (r Rate) String() string {
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.Freq)
	case time.Minute:
		return fmt.Sprintf("%d/m", r.Freq)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.Freq)
	default:
		return fmt.Sprintf("%d/%s", r.Freq, r.Per)
	}
}

// ParseRate parses a rate written as "N/unit": "100/s", "6000/m", "5/h", or
// "N/duration" ("10/500ms"). N is a whole number >= 0.
func ParseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q must be N/s, N/m, N/h or N/<duration>", s)
	}
	freq, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || freq < 0 {
		return Rate{}, fmt.Errorf("rate %q must start with a whole number of requests", s)
	}
	var per time.Duration
	switch unit = strings.TrimSpace(unit); unit {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		per, err = time.ParseDuration(unit)
		if err != nil || per <= 0 {
			return Rate{}, fmt.Errorf("rate %q must be per s, m, h or a positive duration", s)
		}
	}
	return Rate{Freq: freq, Per: per}, nil
}
