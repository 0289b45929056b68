package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRate parses an arrival rate such as "100/s", "6000/m", "2/ms" or
// "36000/h" and returns it in requests per second. A bare number is per
// second.
func ParseRate(s string) (float64, error) {
	num, unit, found := strings.Cut(strings.TrimSpace(s), "/")
	per := time.Second
	if found {
		switch strings.TrimSpace(unit) {
		case "s", "1s", "sec", "second":
			per = time.Second
		case "m", "1m", "min", "minute":
			per = time.Minute
		case "h", "1h", "hour":
			per = time.Hour
		case "ms", "1ms":
			per = time.Millisecond
		default:
			return 0, fmt.Errorf("rate %q: unknown unit %q (use /s, /m, /h or /ms)", s, unit)
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("rate %q: want a non-negative number of requests such as \"100/s\"", s)
	}
	return n / per.Seconds(), nil
}
