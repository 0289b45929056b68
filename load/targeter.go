package load

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// requestTemplate is one compiled LoadTarget.
type requestTemplate struct {
	method string
	url    template
	body   template
	header http.Header
	weight int
	// staticURL and staticBody are set when there is nothing to render.
	staticURL  string
	staticBody []byte
}

// compileTargets checks and compiles the spec's targets; header secrets are
// resolved by resolve. Spec errors carry the field path.
func compileTargets(ctx context.Context, targets []experiment.LoadTarget, resolve SecretFunc) ([]requestTemplate, error) {
	if len(targets) == 0 {
		return nil, errkind.New(errkind.InvalidSpec, "spec.load.targets: at least one target is needed")
	}
	out := make([]requestTemplate, 0, len(targets))
	for i, t := range targets {
		path := targetPath(i)
		rt, err := compileTarget(t, path)
		if err != nil {
			return nil, errkind.Wrap(errkind.InvalidSpec, err)
		}
		if resolve != nil {
			for name, ref := range t.Headers {
				v, err := resolve(ctx, ref)
				if err != nil {
					if _, classified := errkind.TypeOf(err); classified {
						return nil, fmt.Errorf("%s.headers[%s]: %w", path, name, err)
					}
					return nil, errkind.Wrap(errkind.SecretUnavailable, fmt.Errorf("%s.headers[%s]: %w", path, name, err))
				}
				rt.header.Set(name, v)
			}
		}
		out = append(out, rt)
	}
	return out, nil
}

// compileTarget checks one target without resolving its secrets.
func compileTarget(t experiment.LoadTarget, path string) (requestTemplate, error) {
	method := strings.ToUpper(t.Method)
	if method == "" {
		method = http.MethodGet
	}
	if t.Weight < 0 {
		return requestTemplate{}, fmt.Errorf("%s.weight: must not be negative", path)
	}
	weight := t.Weight
	if weight == 0 {
		weight = 1
	}
	u, err := compileTemplate(t.URL)
	if err != nil {
		return requestTemplate{}, fmt.Errorf("%s.url: %w", path, err)
	}
	probe := string(u.render(nil, 0, time.Now()))
	if pu, err := url.Parse(probe); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return requestTemplate{}, fmt.Errorf("%s.url: %q is not an http(s) URL", path, t.URL)
	}
	body, err := compileTemplate(t.Body)
	if err != nil {
		return requestTemplate{}, fmt.Errorf("%s.body: %w", path, err)
	}
	header := http.Header{}
	for name, ref := range t.Headers {
		header.Set(name, string(ref))
	}
	rt := requestTemplate{method: method, url: u, body: body, header: header, weight: weight}
	if u.static() {
		rt.staticURL = probe
	}
	if body.static() && t.Body != "" {
		rt.staticBody = []byte(t.Body)
	}
	return rt, nil
}

// targeter fills tgt with the next request and returns the index of its
// template and whether that template renders the same request every time
// (nothing in its URL or body to render), so a sender can reuse it.
type targeter func(tgt *vegeta.Target) (template int, constant bool)

// newTargeter returns a targeter, safe for concurrent use, that interleaves
// the templates by weight and numbers requests from firstSeq. sent is
// incremented for every request produced.
func newTargeter(templates []requestTemplate, firstSeq uint64, sent *atomic.Uint64) targeter {
	var wheel []int // template index per slot; len is the total weight
	for i, t := range templates {
		for range t.weight {
			wheel = append(wheel, i)
		}
	}
	return func(tgt *vegeta.Target) (int, bool) {
		n := sent.Add(1) - 1
		seq := firstSeq + n
		i := wheel[seq%uint64(len(wheel))]
		t := &templates[i]
		tgt.Method = t.method
		tgt.Header = t.header
		tgt.URL = t.staticURL
		tgt.Body = t.staticBody
		constant := tgt.URL != "" && t.body.static()
		if constant {
			return i, true
		}
		now := time.Now()
		if tgt.URL == "" {
			tgt.URL = string(t.url.render(nil, seq, now))
		}
		if !t.body.static() {
			tgt.Body = t.body.render(nil, seq, now)
		}
		return i, false
	}
}

// targetPath is the field path of target i.
func targetPath(i int) string { return fmt.Sprintf("spec.load.targets[%d]", i) }
