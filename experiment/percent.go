package experiment

import (
	"math"
	"strconv"
)

// Percent formats a percentage (0..100) for people, with one decimal at
// most ("33.3%", "81%", "100%"); a value short of 100 never shows as 100,
// nor one above 0 as 0. The CLI and the heartbeat lines use it.
func Percent(v float64) string {
	return strconv.FormatFloat(PercentValue(v), 'f', -1, 64) + "%"
}

// PercentValue rounds a percentage as Percent shows it.
func PercentValue(v float64) float64 {
	r := math.Round(v*10) / 10
	switch {
	case r >= 100 && v < 100:
		r = 99.9
	case r <= 0 && v > 0:
		r = 0.1
	}
	return r
}
