package load

import (
	"maps"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Stats aggregates the results of one phase. Success means a response with
// a status in 200-399, as k6's http_req_failed counts it.
type Stats struct {
	Requests  int64 `json:"requests"`
	Successes int64 `json:"successes"`
	// StatusCodes counts responses by status code.
	StatusCodes map[string]int64 `json:"statusCodes,omitempty"`
	// Errors counts failures by kind (see errorKind).
	Errors map[string]int64 `json:"errors,omitempty"`
	// Latency of every request, failed ones included.
	Latency Histogram `json:"latency"`
	// First and Last are when the first and last request were sent.
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}

// add records one result.
func (s *Stats) add(r *vegeta.Result) {
	kind := ""
	if r.Error != "" {
		kind = errorKind(r)
	}
	s.tally(r.Timestamp, r.Latency, r.Code, kind)
}

// addPending records one result kept while its phase was not final.
func (s *Stats) addPending(r *pending) {
	kind := errorKinds[r.kind]
	if r.kind == kindStatus {
		kind = statusKind(r.code)
	}
	s.tally(time.Unix(0, r.sent), r.latency, r.code, kind)
}

// tally records one request sent at sent; kind names its failure ("": it
// succeeded).
func (s *Stats) tally(sent time.Time, latency time.Duration, code uint16, kind string) {
	s.Requests++
	if kind == "" {
		s.Successes++
	}
	if code != 0 {
		if s.StatusCodes == nil {
			s.StatusCodes = map[string]int64{}
		}
		s.StatusCodes[statusKey(code)]++
	}
	if kind != "" {
		if s.Errors == nil {
			s.Errors = map[string]int64{}
		}
		s.Errors[kind]++
	}
	s.Latency.Record(latency)
	if s.First.IsZero() || sent.Before(s.First) {
		s.First = sent
	}
	if sent.After(s.Last) {
		s.Last = sent
	}
}

// statusKeys are the StatusCodes keys of the codes HTTP defines.
var statusKeys = func() (keys [600]string) {
	for code := range keys {
		keys[code] = strconv.Itoa(code)
	}
	return keys
}()

// statusKey is code's StatusCodes key, without allocating for 0-599.
func statusKey(code uint16) string {
	if int(code) < len(statusKeys) {
		return statusKeys[code]
	}
	return strconv.Itoa(int(code))
}

// Merge adds o into s.
func (s *Stats) Merge(o *Stats) {
	s.Requests += o.Requests
	s.Successes += o.Successes
	s.StatusCodes = mergeCounts(s.StatusCodes, o.StatusCodes)
	s.Errors = mergeCounts(s.Errors, o.Errors)
	s.Latency.Merge(&o.Latency)
	if !o.First.IsZero() && (s.First.IsZero() || o.First.Before(s.First)) {
		s.First = o.First
	}
	if o.Last.After(s.Last) {
		s.Last = o.Last
	}
}

// Clone returns an independent copy.
func (s *Stats) Clone() Stats {
	c := *s
	c.StatusCodes = maps.Clone(s.StatusCodes)
	c.Errors = maps.Clone(s.Errors)
	c.Latency = s.Latency.Clone()
	return c
}

// Rate is the achieved send rate in requests per second between the first
// and the last request; 0 with fewer than two requests.
func (s *Stats) Rate() float64 {
	span := s.Last.Sub(s.First).Seconds()
	if s.Requests < 2 || span <= 0 {
		return 0
	}
	return float64(s.Requests-1) / span
}

// FailedRate is the share of failed requests (k6's http_req_failed rate).
func (s *Stats) FailedRate() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Requests-s.Successes) / float64(s.Requests)
}

func mergeCounts(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int64, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// errorKind names why a request failed: "status 5xx"/"status 4xx" for HTTP
// errors, else the transport failure: timeout, connection refused,
// connection reset, eof, canceled or other.
func errorKind(r *vegeta.Result) string {
	if r.Code != 0 {
		return statusKind(r.Code)
	}
	return errorKinds[transportKind(r.Error)]
}

func statusKind(code uint16) string { return "status " + strconv.Itoa(int(code)/100) + "xx" }

// transportKind is the errorKinds index of a transport failure.
func transportKind(err string) uint8 {
	e := strings.ToLower(err)
	switch {
	case strings.Contains(e, "canceled"):
		return 2
	case strings.Contains(e, "timeout"), strings.Contains(e, "deadline exceeded"):
		return 3
	case strings.Contains(e, "connection refused"):
		return 4
	case strings.Contains(e, "connection reset"), strings.Contains(e, "broken pipe"):
		return 5
	case strings.Contains(e, "eof"):
		return 6
	default:
		return 7
	}
}
