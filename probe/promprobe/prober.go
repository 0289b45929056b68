package promprobe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/compare"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe"
	"github.com/tempest-chaos/tempest/probe/httpprobe"
	"github.com/tempest-chaos/tempest/secret"
)

// maxResponse bounds how much of an API response is read.
const maxResponse = 8 << 20

var _ probe.Prober = (*Prober)(nil)

// Prober observes prometheus probes.
type Prober struct {
	resolver secret.Resolver
	client   *http.Client
}

// New returns a Prober with its own HTTP client.
func New(resolver secret.Resolver) *Prober {
	return NewWithClient(resolver, &http.Client{})
}

// NewWithClient returns a Prober querying through client (for TLS or proxy
// settings).
func NewWithClient(resolver secret.Resolver, client *http.Client) *Prober {
	return &Prober{resolver: resolver, client: client}
}

func validate(p experiment.Probe) (*experiment.PrometheusProbe, experiment.Comparison, error) {
	m := p.Prometheus
	if m == nil {
		return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus block missing", p.Name)
	}
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.url %q: want http(s)://host:port", p.Name, m.URL)
	}
	if strings.TrimSpace(m.Query) == "" {
		return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.query: required", p.Name)
	}
	switch m.OnEmpty {
	case "", experiment.EmptyFail, experiment.EmptyPass:
	default:
		return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.onEmpty: unknown %q (want fail or pass)", p.Name, m.OnEmpty)
	}
	if r := m.Range; r != nil {
		if r.Window <= 0 {
			return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.range.window: must be positive", p.Name)
		}
		if r.Step < 0 {
			return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.range.step: must not be negative", p.Name)
		}
		switch r.Reduce {
		case experiment.ReduceMin, experiment.ReduceMax, experiment.ReduceAvg, experiment.ReduceLast:
		default:
			return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.range.reduce: unknown %q (want min, max, avg or last)", p.Name, r.Reduce)
		}
	}
	expect := m.Expect
	if expect.Type == "" {
		expect.Type = experiment.ValueFloat
	}
	if err := compare.Validate(expect); err != nil {
		return nil, experiment.Comparison{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.expect.%w", p.Name, err)
	}
	return m, expect, nil
}

// Observe runs the query once and compares its value.
func (pr *Prober) Observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error) {
	m, expect, err := validate(p)
	if err != nil {
		return experiment.Observation{}, err
	}
	headers, secrets, err := httpprobe.ResolveHeaders(ctx, pr.resolver, m.Headers)
	if err != nil {
		return experiment.Observation{}, fmt.Errorf("probe %s: prometheus.headers: %w", p.Name, err)
	}
	redact := func(s string) string { return secret.Redact(s, secrets...) }

	start := time.Now()
	obs := experiment.Observation{At: start}
	res, err := pr.query(ctx, m, headers, start)
	obs.Took = time.Since(start)
	var bad *badQuery
	switch {
	case errors.As(err, &bad):
		return experiment.Observation{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.query: %s", p.Name, redact(bad.msg))
	case err != nil:
		obs.Detail = redact(describeFailure(ctx, obs.Took, err))
		return obs, nil
	}

	value, empty, why := reduce(res, m.Range)
	switch {
	case why != "":
		obs.Detail = redact(why)
		return obs, nil
	case empty:
		obs.Value = "empty"
		obs.Passed = m.OnEmpty == experiment.EmptyPass
		onEmpty := m.OnEmpty
		if onEmpty == "" {
			onEmpty = experiment.EmptyFail
		}
		obs.Detail = fmt.Sprintf("query returned no data (onEmpty: %s)", onEmpty)
		return obs, nil
	}
	obs.Value = value
	ok, detail, err := compare.Compare(expect, value)
	if err != nil {
		return experiment.Observation{}, errkind.New(errkind.InvalidSpec, "probe %s: prometheus.expect.%w", p.Name, err)
	}
	obs.Passed = ok
	if !ok {
		obs.Detail = detail
	}
	return obs, nil
}

func describeFailure(ctx context.Context, took time.Duration, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("query timed out after %v: %v", took.Round(time.Millisecond), err)
	}
	return "query failed: " + err.Error()
}

// badQuery is Prometheus refusing the query itself (errorType bad_data).
type badQuery struct{ msg string }

func (b *badQuery) Error() string { return b.msg }

// result is the data part of an API response.
type result struct {
	Type   string          `json:"resultType"`
	Result json.RawMessage `json:"result"`
}

// query calls the instant or range query endpoint at time now.
func (pr *Prober) query(ctx context.Context, m *experiment.PrometheusProbe, headers http.Header, now time.Time) (result, error) {
	form := url.Values{"query": {m.Query}}
	endpoint := "/api/v1/query"
	if r := m.Range; r != nil {
		endpoint = "/api/v1/query_range"
		step := r.Step.D()
		if step <= 0 {
			step = max(r.Window.D()/60, time.Second)
		}
		form.Set("start", unixSeconds(now.Add(-r.Window.D())))
		form.Set("end", unixSeconds(now))
		form.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	} else {
		form.Set("time", unixSeconds(now))
	}
	// The API path goes under the URL's own path (a proxy prefix); its query
	// string, if any, is kept.
	u, err := url.Parse(m.URL)
	if err != nil {
		return result{}, err
	}
	u = u.JoinPath(endpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return result{}, err
	}
	for name, values := range headers {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := pr.client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return result{}, fmt.Errorf("reading response: %w", err)
	}
	var body struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      result `json:"data"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return result{}, fmt.Errorf("HTTP %d, not a Prometheus API response: %.200q", resp.StatusCode, data)
	}
	if body.Status != "success" {
		if body.ErrorType == "bad_data" {
			return result{}, &badQuery{msg: body.Error}
		}
		return result{}, fmt.Errorf("HTTP %d, %s: %s", resp.StatusCode, body.ErrorType, body.Error)
	}
	return body.Data, nil
}

func unixSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// Validate reports why p's prometheus block cannot run (errkind.InvalidSpec,
// naming the field: "probe NAME: prometheus.range.reduce ..."), without
// querying. A malformed PromQL expression is only found by the server.
func Validate(p experiment.Probe) error {
	_, _, err := validate(p)
	return err
}
