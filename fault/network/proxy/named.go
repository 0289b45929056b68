package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
)

// The named mode speaks Toxiproxy's HTTP API directly (every call bound
// by ctx; the module's client takes no context). It uses only calls
// every 2.x server answers: GET /proxies, GET /proxies/{proxy},
// POST /proxies/{proxy} (enabled), POST /proxies/{proxy}/toxics and
// DELETE /proxies/{proxy}/toxics/{toxic}; reset_peer needs a 2.2.0 server
// or newer.

// apiTimeout bounds one call to a Toxiproxy server.
const apiTimeout = 15 * time.Second

// apiStatusError is a non-2xx answer of a Toxiproxy server.
type apiStatusError struct {
	Status  int
	Message string
}

func (e *apiStatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

func statusOf(err error) int {
	var se *apiStatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// remoteToxic is a toxic as the API lists it.
type remoteToxic struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// remoteProxy is a proxy as the API shows it.
type remoteProxy struct {
	Name     string        `json:"name"`
	Listen   string        `json:"listen"`
	Upstream string        `json:"upstream"`
	Enabled  bool          `json:"enabled"`
	Toxics   []remoteToxic `json:"toxics"`
}

func (p remoteProxy) has(name string) bool {
	for _, t := range p.Toxics {
		if t.Name == name {
			return true
		}
	}
	return false
}

// api is one Toxiproxy server.
type api struct {
	base   string // scheme://host[:port][/path]
	client *http.Client
}

func (a api) call(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tempest") // the server refuses browsers' agents
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("toxiproxy %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("toxiproxy %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return fmt.Errorf("toxiproxy %s %s: %w", method, path, &apiStatusError{Status: resp.StatusCode, Message: msg})
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("toxiproxy %s %s: %w", method, path, err)
		}
	}
	return nil
}

func proxyPath(name string) string { return "/proxies/" + url.PathEscape(name) }

func (a api) proxy(ctx context.Context, name string) (remoteProxy, error) {
	var p remoteProxy
	err := a.call(ctx, http.MethodGet, proxyPath(name), nil, &p)
	return p, err
}

func (a api) proxies(ctx context.Context) (map[string]remoteProxy, error) {
	var ps map[string]remoteProxy
	err := a.call(ctx, http.MethodGet, "/proxies", nil, &ps)
	return ps, err
}

func (a api) addToxic(ctx context.Context, proxy, name string, t wireToxic) error {
	body := struct {
		Name string `json:"name"`
		wireToxic
	}{name, t}
	return a.call(ctx, http.MethodPost, proxyPath(proxy)+"/toxics", body, nil)
}

// removeToxic deletes a toxic; one already gone counts as removed.
func (a api) removeToxic(ctx context.Context, proxy, name string) error {
	err := a.call(ctx, http.MethodDelete, proxyPath(proxy)+"/toxics/"+url.PathEscape(name), nil, nil)
	if statusOf(err) == http.StatusNotFound {
		return nil
	}
	return err
}

func (a api) setEnabled(ctx context.Context, proxy string, enabled bool) error {
	// POST, not PATCH: servers before 2.6.0 take only POST.
	return a.call(ctx, http.MethodPost, proxyPath(proxy), map[string]bool{"enabled": enabled}, nil)
}

// downMarkerToxic changes nothing (toxicity 0): it only records that
// Tempest disabled the proxy.
var downMarkerToxic = wireToxic{Type: string(Latency), Stream: string(Upstream), Toxicity: 0, Attributes: map[string]int64{"latency": 0}}

// classifyAPI classifies a server's answer: a missing proxy is
// UnknownTarget, a refused request InvalidSpec naming field, a 401/403
// Forbidden; other errors (the server unreachable) stay retryable.
func classifyAPI(err error, field string) error {
	switch s := statusOf(err); {
	case err == nil:
		return nil
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return errkind.Wrap(errkind.Forbidden, fmt.Errorf("%s: %w", field, err))
	case s == http.StatusBadRequest:
		return errkind.Wrap(errkind.InvalidSpec, fmt.Errorf("%s: the server refused it: %w", field, err))
	default:
		return err
	}
}

// injectNamed adds c's toxics to the named proxy, or takes it down.
func (d *Driver) injectNamed(ctx context.Context, c compiled, runID, faultName string, injection int) (State, error) {
	a := d.api(c.server)
	st := State{Mode: Named, Server: c.server.String(), Proxy: c.spec.Proxy}
	p, err := a.proxy(ctx, c.spec.Proxy)
	if statusOf(err) == http.StatusNotFound {
		return State{}, errkind.New(errkind.UnknownTarget, "proxy: no proxy %q on %s", c.spec.Proxy, st.Server)
	}
	if err != nil {
		return State{}, classifyAPI(err, "server")
	}
	if c.down {
		marker := toxicPrefix(runID, faultName, injection) + downMarker
		if !p.has(marker) {
			if !p.Enabled {
				return st, nil // down already, by someone else: not Tempest's to bring up
			}
			if err := a.addToxic(ctx, c.spec.Proxy, marker, downMarkerToxic); err != nil && statusOf(err) != http.StatusConflict {
				return State{}, classifyAPI(err, "toxics[0]")
			}
		}
		st.Toxics = []string{marker}
		st.Disabled = true
		if err := a.setEnabled(ctx, c.spec.Proxy, false); err != nil {
			return st, classifyAPI(err, "proxy")
		}
		return st, nil
	}
	for i, t := range c.toxics {
		name := ToxicName(runID, faultName, injection, i)
		if p.has(name) { // an earlier attempt's: replaced, so it is the spec's
			if err := a.removeToxic(ctx, c.spec.Proxy, name); err != nil {
				return st, classifyAPI(err, fmt.Sprintf("toxics[%d]", i))
			}
		}
		st.Toxics = append(st.Toxics, name)
		if err := a.addToxic(ctx, c.spec.Proxy, name, t); err != nil {
			st.Toxics = st.Toxics[:len(st.Toxics)-1]
			if len(st.Toxics) == 0 {
				st = State{}
			}
			return st, classifyAPI(err, fmt.Sprintf("toxics[%d]", i))
		}
	}
	return st, nil
}

// revertNamed removes st's toxics and brings the proxy up again if st
// took it down; a proxy or toxic already gone counts as reverted.
func (d *Driver) revertNamed(ctx context.Context, st State) error {
	u, err := parseServer(st.Server)
	if err != nil {
		return errkind.New(errkind.InvalidSpec, "proxy state: server: %v", err)
	}
	a := d.api(u)
	if st.Disabled {
		err := a.setEnabled(ctx, st.Proxy, true)
		if statusOf(err) == http.StatusNotFound {
			return nil
		}
		if err != nil {
			return classifyAPI(err, "proxy")
		}
	}
	var errs []error
	for _, name := range st.Toxics {
		if err := a.removeToxic(ctx, st.Proxy, name); err != nil && statusOf(err) != http.StatusNotFound {
			errs = append(errs, classifyAPI(err, "toxic "+name))
		}
	}
	return errors.Join(errs...)
}

// namedInjectionState is what the injection named by run, fault and
// injection left on the proxy, read from the server (for a revert
// without its State).
func (d *Driver) namedInjectionState(ctx context.Context, c compiled, runID, faultName string, injection int) (State, error) {
	a := d.api(c.server)
	st := State{Mode: Named, Server: c.server.String(), Proxy: c.spec.Proxy}
	p, err := a.proxy(ctx, c.spec.Proxy)
	if statusOf(err) == http.StatusNotFound {
		return State{}, nil
	}
	if err != nil {
		return State{}, classifyAPI(err, "server")
	}
	prefix := toxicPrefix(runID, faultName, injection)
	for _, t := range p.Toxics {
		if strings.HasPrefix(t.Name, prefix) {
			st.Toxics = append(st.Toxics, t.Name)
			if t.Name == prefix+downMarker {
				st.Disabled = true
			}
		}
	}
	return st, nil
}

func (d *Driver) api(u *url.URL) api {
	c := d.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	return api{base: u.String(), client: c}
}
