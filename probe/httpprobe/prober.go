package httpprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/compare"
	"github.com/tempest-chaos/tempest/compare/jsonpath"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe"
	"github.com/tempest-chaos/tempest/secret"
)

// maxBody is how much of a response body is read and judged.
const maxBody = 1 << 20

var _ probe.Prober = (*Prober)(nil)

// Prober observes HTTP probes.
type Prober struct {
	resolver secret.Resolver
	client   *http.Client
	insecure *http.Client
}

// New returns a Prober with its own clients: one verifying TLS certificates
// and one for probes that set insecureSkipVerify. Neither keeps idle
// connections.
func New(resolver secret.Resolver) *Prober {
	return &Prober{
		resolver: resolver,
		client:   newClient(false),
		insecure: newClient(true),
	}
}

// NewWithClient returns a Prober sending every request through client, which
// then decides TLS verification; insecureSkipVerify is ignored.
func NewWithClient(resolver secret.Resolver, client *http.Client) *Prober {
	return &Prober{resolver: resolver, client: client, insecure: client}
}

func newClient(insecureSkipVerify bool) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DisableKeepAlives = true
	if insecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the spec
	}
	return &http.Client{Transport: transport}
}

// request is a probe block checked and made ready to send.
type request struct {
	spec        *experiment.HTTPProbe
	method      string
	url         string
	bodyMatches *regexp.Regexp
	expectation *experiment.Comparison
}

func compile(p experiment.Probe) (request, error) {
	h := p.HTTP
	if h == nil {
		return request{}, errkind.New(errkind.InvalidSpec, "probe %s: http block missing", p.Name)
	}
	r := request{spec: h, method: strings.ToUpper(h.Method), url: h.URL, expectation: h.Expect}
	if r.method == "" {
		r.method = http.MethodGet
	}
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return request{}, errkind.New(errkind.InvalidSpec, "probe %s: http.url %q: want an absolute http:// or https:// URL", p.Name, h.URL)
	}
	if h.BodyMatches != "" {
		if r.bodyMatches, err = regexp.Compile(h.BodyMatches); err != nil {
			return request{}, errkind.New(errkind.InvalidSpec, "probe %s: http.bodyMatches: %w", p.Name, err)
		}
	}
	if h.JSONPath != "" {
		if err := jsonpath.Validate(h.JSONPath); err != nil {
			return request{}, errkind.New(errkind.InvalidSpec, "probe %s: http.jsonPath: %w", p.Name, err)
		}
		if h.Expect == nil {
			return request{}, errkind.New(errkind.InvalidSpec, "probe %s: http.jsonPath needs http.expect", p.Name)
		}
	}
	if h.Expect != nil {
		if err := compare.Validate(*h.Expect); err != nil {
			return request{}, errkind.New(errkind.InvalidSpec, "probe %s: http.expect.%w", p.Name, err)
		}
	}
	return r, nil
}

// Observe sends one request and judges the response.
func (pr *Prober) Observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error) {
	r, err := compile(p)
	if err != nil {
		return experiment.Observation{}, err
	}
	headers, secrets, err := ResolveHeaders(ctx, pr.resolver, r.spec.Headers)
	if err != nil {
		return experiment.Observation{}, fmt.Errorf("probe %s: http.headers: %w", p.Name, err)
	}
	var body io.Reader
	if r.spec.Body != "" {
		body = strings.NewReader(r.spec.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return experiment.Observation{}, errkind.New(errkind.InvalidSpec, "probe %s: http: %w", p.Name, err)
	}
	req.Header = headers
	if host := headers.Get("Host"); host != "" {
		req.Host = host
	}

	client := pr.client
	if r.spec.InsecureSkipVerify {
		client = pr.insecure
	}
	start := time.Now()
	obs := experiment.Observation{At: start}
	resp, err := client.Do(req)
	if err != nil {
		obs.Took = time.Since(start)
		obs.Detail = secret.Redact(failure(ctx, obs.Took, err), secrets...)
		return obs, nil
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	obs.Took = time.Since(start)
	if readErr != nil {
		obs.Value = "status " + strconv.Itoa(resp.StatusCode)
		obs.Detail = secret.Redact("reading body: "+failure(ctx, obs.Took, readErr), secrets...)
		return obs, nil
	}

	value, problems := r.judge(resp.StatusCode, obs.Took, data)
	obs.Passed = len(problems) == 0
	obs.Value = secret.Redact(value, secrets...)
	obs.Detail = secret.Redact(strings.Join(problems, "; "), secrets...)
	return obs, nil
}

// judge checks a response and returns what was measured and every failed check.
func (r request) judge(status int, took time.Duration, body []byte) (value string, problems []string) {
	h := r.spec
	value = "status " + strconv.Itoa(status)
	want := h.ExpectStatus
	if len(want) == 0 {
		want = []int{http.StatusOK}
	}
	if !slices.Contains(want, status) {
		problems = append(problems, fmt.Sprintf("status %d, want %v", status, want))
	}
	if h.MaxLatency > 0 && took > h.MaxLatency.D() {
		problems = append(problems, fmt.Sprintf("latency %v above maxLatency %v", took.Round(time.Millisecond), h.MaxLatency))
	}
	if h.BodyContains != "" && !strings.Contains(string(body), h.BodyContains) {
		problems = append(problems, fmt.Sprintf("body does not contain %q (body: %s)", h.BodyContains, snippet(body)))
	}
	if r.bodyMatches != nil && !r.bodyMatches.Match(body) {
		problems = append(problems, fmt.Sprintf("body does not match /%s/ (body: %s)", r.bodyMatches, snippet(body)))
	}
	if r.expectation == nil {
		return value, problems
	}
	measured, ok, detail, pathErr, err := compare.Document(*r.expectation, body, h.JSONPath)
	switch {
	case pathErr != nil:
		return value, append(problems, fmt.Sprintf("jsonPath %s: %v (body: %s)", h.JSONPath, pathErr, snippet(body)))
	case h.JSONPath != "":
		value += fmt.Sprintf(", %s = %s", h.JSONPath, snippet([]byte(measured)))
	default:
		value += ", body " + snippet(body)
	}
	if err != nil { // compile validated it; keep the failure visible anyway
		return value, append(problems, err.Error())
	}
	if !ok {
		problems = append(problems, detail)
	}
	return value, problems
}

// ResolveHeaders resolves every header value on the worker; secrets lists
// the values that came from references, for redaction. The Prometheus probe
// uses it too.
func ResolveHeaders(ctx context.Context, r secret.Resolver, refs map[string]experiment.SecretRef) (http.Header, []string, error) {
	values, secrets, err := r.ResolveMap(ctx, refs)
	if err != nil {
		return nil, nil, err
	}
	headers := make(http.Header, len(values))
	for name, v := range values {
		headers.Set(name, v)
	}
	return headers, secrets, nil
}

// failure describes a request that got no usable response.
func failure(ctx context.Context, took time.Duration, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %v: %v", took.Round(time.Millisecond), err)
	}
	if ctx.Err() != nil {
		return fmt.Sprintf("canceled after %v", took.Round(time.Millisecond))
	}
	return err.Error()
}

// snippet shows at most 200 bytes of a body, quoted.
func snippet(b []byte) string {
	const max = 200
	s := string(b)
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// Validate reports why p's http block cannot be sent (errkind.InvalidSpec,
// naming the field: "probe NAME: http.url ..."), without sending anything or
// resolving secrets. For spec validation before a run.
func Validate(p experiment.Probe) error {
	_, err := compile(p)
	return err
}
