// Package bitrate parses bit rates written as tc writes them ("512kbit",
// "1mbit", "1.5gbit"; powers of 1000), for the network faults' bandwidth
// limits (packages fault/network and fault/network/proxy).
package bitrate

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var rateRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(bit|kbit|mbit|gbit)$`)

// Parse parses a rate such as "1mbit" into bits per second: a positive
// number with unit bit, kbit, mbit or gbit, at most 1000gbit.
func Parse(s string) (bitsPerSecond uint64, err error) {
	if s == "" {
		return 0, errors.New(`required, e.g. "1mbit"`)
	}
	m := rateRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a rate: a number with unit bit, kbit, mbit or gbit (per second)", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	mult := map[string]float64{"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}[m[2]]
	bits := v * mult
	if bits <= 0 {
		return 0, fmt.Errorf("%q is not a positive rate", s)
	}
	if bits > 1e12 {
		return 0, fmt.Errorf("%q is more than 1000gbit", s)
	}
	return uint64(bits), nil
}
