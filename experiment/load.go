package experiment

// Load is HTTP traffic generated alongside the faults, measured separately
// before (baseline), during (chaos) and after (recovery) the chaos window.
// Set Rate or Stages, or K6.
type Load struct {
	// StartAfter is the offset from the chaos window start (default 0s).
	StartAfter Duration `json:"startAfter,omitempty"`
	// Duration of a constant-rate load; with Stages it is their sum.
	Duration Duration `json:"duration,omitempty"`
	// Rate is a constant arrival rate ("100/s", "6000/m").
	Rate string `json:"rate,omitempty"`
	// Stages ramp the arrival rate linearly to each Target over Duration.
	Stages  []LoadStage  `json:"stages,omitempty"`
	Targets []LoadTarget `json:"targets,omitempty"`
	// MaxInFlight bounds concurrent requests (default 1000).
	MaxInFlight int `json:"maxInFlight,omitempty"`
	// Timeout bounds one request (default 10s).
	Timeout Duration `json:"timeout,omitempty"`
	// KeepAlive reuses connections (default true).
	KeepAlive *bool `json:"keepAlive,omitempty"`
	// Thresholds in k6 syntax: metric (optionally tagged with a phase,
	// "http_req_duration{phase:chaos}") to expressions ("p(95)<500ms").
	Thresholds map[string][]string `json:"thresholds,omitempty"`
	// K6 runs the user's own k6 binary instead of the built-in generator.
	K6 *K6Load `json:"k6,omitempty"`
}

// LoadStage ramps to Target over Duration.
type LoadStage struct {
	Duration Duration `json:"duration"`
	Target   string   `json:"target"`
}

// LoadTarget is one request template. Body and URL may use {{uuid}}, {{seq}},
// {{now}} and {{choice "a" "b"}}.
type LoadTarget struct {
	Method  string               `json:"method,omitempty"`
	URL     string               `json:"url"`
	Headers map[string]SecretRef `json:"headers,omitempty"`
	Body    string               `json:"body,omitempty"`
	// Weight is this target's share of requests (default 1).
	Weight int `json:"weight,omitempty"`
}

// K6Load runs a k6 script with the user's k6 binary.
type K6Load struct {
	Script string   `json:"script"`
	Binary string   `json:"binary,omitempty"`
	Args   []string `json:"args,omitempty"`
}
