package proxy

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault/network/bitrate"
)

// Mode is where the toxics act.
type Mode string

// Modes.
const (
	// Transparent: the worker embeds a proxy for the fault and an
	// nftables redirect sends the target's new TCP connections to
	// Dependency into it. The default.
	Transparent Mode = "transparent"
	// Named: the toxics go on proxy Proxy of the Toxiproxy server the
	// user runs at Server.
	Named Mode = "named"
)

// ToxicType is one of Toxiproxy's toxics, or down.
type ToxicType string

// Toxic types.
const (
	// Latency delays each chunk of data by Latency ± Jitter.
	Latency ToxicType = "latency"
	// Bandwidth limits the stream to Rate.
	Bandwidth ToxicType = "bandwidth"
	// Timeout stops all data and closes the connection after Timeout
	// (0: holds it open, silent, until the fault ends).
	Timeout ToxicType = "timeout"
	// ResetPeer resets the connection (TCP RST) when data arrives, after
	// Timeout (0: at once).
	ResetPeer ToxicType = "reset_peer"
	// SlowClose delays the close of the connection by Delay.
	SlowClose ToxicType = "slow_close"
	// LimitData closes the connection after Bytes bytes.
	LimitData ToxicType = "limit_data"
	// Down takes the proxy down: new connections are refused (named) or
	// reset as soon as they are accepted (transparent), and open ones
	// are closed. It is the only toxic of its fault.
	Down ToxicType = "down"
)

// Stream is the direction of data a toxic acts on.
type Stream string

// Streams.
const (
	// Downstream: from the dependency to the client (the replies). The default.
	Downstream Stream = "downstream"
	// Upstream: from the client to the dependency (the requests).
	Upstream Stream = "upstream"
)

// Toxic is one toxic.
type Toxic struct {
	// Type is latency, bandwidth, timeout, reset_peer, slow_close,
	// limit_data or down (required).
	Type ToxicType `json:"type"`
	// Stream is downstream (default) or upstream.
	Stream Stream `json:"stream,omitempty"`
	// Toxicity is the probability, 0 to 1, that a connection gets the
	// toxic (default 1: every connection).
	Toxicity *float64 `json:"toxicity,omitempty"`
	// Latency added to each chunk of data, for latency ("100ms"; whole
	// milliseconds).
	Latency experiment.Duration `json:"latency,omitempty"`
	// Jitter, for latency: the delay is Latency ± Jitter, uniformly
	// (whole milliseconds, at most Latency).
	Jitter experiment.Duration `json:"jitter,omitempty"`
	// Rate for bandwidth, in bits per second with a unit ("512kbit",
	// "1mbit"; at least 8kbit, rounded down to whole kilobytes per second).
	Rate string `json:"rate,omitempty"`
	// Timeout, for timeout (close after it; 0 holds the connection) and
	// reset_peer (reset after it; 0 at once); whole milliseconds.
	Timeout experiment.Duration `json:"timeout,omitempty"`
	// Delay of the close, for slow_close (whole milliseconds).
	Delay experiment.Duration `json:"delay,omitempty"`
	// Bytes after which limit_data closes the connection.
	Bytes int64 `json:"bytes,omitempty"`
}

// Spec is one proxy fault, as written in an experiment.
type Spec struct {
	// Mode is transparent (default) or named.
	Mode Mode `json:"mode,omitempty"`
	// Dependency is the address the target's application dials, as
	// "IP:port" ("10.0.0.5:5432", "[fd00::5]:5432"); transparent mode
	// (required there). Its new TCP connections from the target's
	// network namespace go through the fault's proxy.
	Dependency string `json:"dependency,omitempty"`
	// Namespace names the network namespace the application runs in
	// (/run/netns/NAME); PID selects that of a process. With neither,
	// the worker's own. Transparent mode. Not part of the block in a
	// spec: the caller sets them from the fault's target (the network
	// block's namespace, pid or process); the named mode ignores them.
	Namespace string `json:"-"`
	PID       int    `json:"-"`
	// Server is the Toxiproxy API of a named proxy
	// ("http://127.0.0.1:8474"); named mode (required there).
	Server string `json:"server,omitempty"`
	// Proxy is the name of the proxy on Server; named mode (required there).
	Proxy string `json:"proxy,omitempty"`
	// Toxics to add (at least one, at most 16).
	Toxics []Toxic `json:"toxics"`
	// AllowSelfCut lets a transparent proxy in the worker's own
	// namespace take the worker's own connections to Temporal (refused
	// otherwise: a worker crash would leave them refused, and so the
	// revert unreachable).
	AllowSelfCut bool `json:"allowSelfCut,omitempty"`
}

// ApplyDefaults fills in what an empty field means: mode transparent,
// and each toxic but down on stream downstream with toxicity 1.
// Validate and Inject read empty fields the same way; this makes the
// defaults visible in a spec as stored.
func (s *Spec) ApplyDefaults() {
	if s.Mode == "" {
		s.Mode = Transparent
	}
	for i := range s.Toxics {
		t := &s.Toxics[i]
		if t.Type == Down {
			continue
		}
		if t.Stream == "" {
			t.Stream = Downstream
		}
		if t.Toxicity == nil {
			one := 1.0
			t.Toxicity = &one
		}
	}
}

// maxToxics bounds the toxics of one fault.
const maxToxics = 16

// Check checks s without touching the system. Each problem is
// reported with the JSON path of its field ("toxics[1].toxicity: ...");
// several problems are joined. (Check, not Validate: a kind's block
// embedding this Spec implements experiment.FaultBlock's Validate.)
func (s Spec) Check() error {
	_, err := s.compile()
	return err
}

// compiled is a validated Spec with its values parsed.
type compiled struct {
	spec       Spec
	mode       Mode
	dependency netip.AddrPort // transparent
	server     *url.URL       // named
	toxics     []wireToxic
	down       bool
}

// wireToxic is a toxic as Toxiproxy's API takes it (without its name).
type wireToxic struct {
	Type       string           `json:"type"`
	Stream     string           `json:"stream"`
	Toxicity   float64          `json:"toxicity"`
	Attributes map[string]int64 `json:"attributes"`
}

func (s Spec) compile() (compiled, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	c := compiled{spec: s, mode: s.Mode}
	switch s.Mode {
	case "":
		c.mode = Transparent
	case Transparent, Named:
	default:
		bad("mode", "%q is not transparent or named", s.Mode)
	}

	if c.mode == Transparent {
		if s.Dependency == "" {
			bad("dependency", `required in mode transparent: the "IP:port" the application dials`)
		} else if ap, err := parseDependency(s.Dependency); err != nil {
			bad("dependency", "%v", err)
		} else {
			c.dependency = ap
		}
		if s.Namespace != "" && s.PID != 0 {
			bad("namespace", "set namespace or pid, not both")
		}
		if s.Namespace != "" && (strings.ContainsAny(s.Namespace, "/\x00") || s.Namespace == "." || s.Namespace == "..") {
			bad("namespace", "%q is not a namespace name (a file name in /run/netns)", s.Namespace)
		}
		if s.PID < 0 {
			bad("pid", "%d is negative", s.PID)
		}
		if s.Server != "" {
			bad("server", "only in mode named")
		}
		if s.Proxy != "" {
			bad("proxy", "only in mode named")
		}
	}
	if c.mode == Named {
		if s.Server == "" {
			bad("server", `required in mode named: the Toxiproxy API, e.g. "http://127.0.0.1:8474"`)
		} else if u, err := parseServer(s.Server); err != nil {
			bad("server", "%v", err)
		} else {
			c.server = u
		}
		if s.Proxy == "" {
			bad("proxy", "required in mode named: the name of the proxy on the server")
		} else if strings.ContainsAny(s.Proxy, "/?#\x00") || strings.TrimSpace(s.Proxy) != s.Proxy {
			bad("proxy", "%q is not a proxy name (no '/', '?', '#' or surrounding space)", s.Proxy)
		}
		if s.Dependency != "" {
			bad("dependency", "only in mode transparent")
		}
	}

	switch {
	case len(s.Toxics) == 0:
		bad("toxics", "at least one toxic is required")
	case len(s.Toxics) > maxToxics:
		bad("toxics", "%d toxics, more than %d", len(s.Toxics), maxToxics)
	}
	for i, t := range s.Toxics {
		w, terrs := compileToxic(fmt.Sprintf("toxics[%d]", i), t)
		errs = append(errs, terrs...)
		if t.Type == Down {
			c.down = true
			if len(s.Toxics) > 1 {
				bad(fmt.Sprintf("toxics[%d].type", i), "down takes the proxy down: it is the only toxic of its fault")
			}
			continue
		}
		c.toxics = append(c.toxics, w)
	}
	return c, errors.Join(errs...)
}

// compileToxic checks one toxic; field is its path ("toxics[0]").
func compileToxic(field string, t Toxic) (wireToxic, []error) {
	var errs []error
	bad := func(sub, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", field, sub, fmt.Sprintf(format, args...)))
	}
	w := wireToxic{Type: string(t.Type), Stream: string(t.Stream), Toxicity: 1, Attributes: map[string]int64{}}

	// The attributes each type takes; any other set is an error.
	used := map[string]bool{}
	ms := func(name string, d experiment.Duration) int64 {
		used[name] = true
		v := d.D()
		switch {
		case v < 0:
			bad(name, "%s is negative", v)
		case v%time.Millisecond != 0:
			bad(name, "%s is not a whole number of milliseconds", v)
		case v > 24*time.Hour:
			bad(name, "%s is more than 24h", v)
		}
		return v.Milliseconds()
	}
	switch t.Type {
	case Latency:
		w.Attributes["latency"] = ms("latency", t.Latency)
		w.Attributes["jitter"] = ms("jitter", t.Jitter)
		if t.Jitter > t.Latency && t.Jitter.D() >= 0 && t.Latency.D() >= 0 {
			bad("jitter", "%s is more than latency %s (the delay would go below zero)", t.Jitter, t.Latency)
		}
	case Bandwidth:
		used["rate"] = true
		bits, err := bitrate.Parse(t.Rate)
		switch {
		case err != nil:
			bad("rate", "%v", err)
		case bits/8/1000 == 0:
			bad("rate", "%q is less than 8kbit (Toxiproxy counts whole kilobytes per second)", t.Rate)
		default:
			w.Attributes["rate"] = int64(bits / 8 / 1000)
		}
	case Timeout, ResetPeer:
		w.Attributes["timeout"] = ms("timeout", t.Timeout)
	case SlowClose:
		w.Attributes["delay"] = ms("delay", t.Delay)
	case LimitData:
		used["bytes"] = true
		if t.Bytes < 0 {
			bad("bytes", "%d is negative", t.Bytes)
		}
		w.Attributes["bytes"] = t.Bytes
	case Down:
	case "":
		errs = append(errs, fmt.Errorf("%s.type: required: latency, bandwidth, timeout, reset_peer, slow_close, limit_data or down", field))
	default:
		errs = append(errs, fmt.Errorf("%s.type: %q is not latency, bandwidth, timeout, reset_peer, slow_close, limit_data or down", field, t.Type))
	}
	for _, a := range []struct {
		name string
		set  bool
	}{
		{"latency", t.Latency != 0}, {"jitter", t.Jitter != 0}, {"rate", t.Rate != ""},
		{"timeout", t.Timeout != 0}, {"delay", t.Delay != 0}, {"bytes", t.Bytes != 0},
	} {
		if a.set && !used[a.name] && t.Type != "" {
			bad(a.name, "not an attribute of type %s", t.Type)
		}
	}

	if t.Type == Down {
		if t.Stream != "" {
			bad("stream", "down takes no stream: it acts on the whole proxy")
		}
		if t.Toxicity != nil {
			bad("toxicity", "down takes no toxicity: it acts on the whole proxy")
		}
		return w, errs
	}
	switch t.Stream {
	case "":
		w.Stream = string(Downstream)
	case Downstream, Upstream:
	default:
		bad("stream", "%q is not upstream or downstream", t.Stream)
	}
	if t.Toxicity != nil {
		if v := *t.Toxicity; math.IsNaN(v) || v < 0 || v > 1 {
			bad("toxicity", "%v is not in 0..1", v)
		} else {
			w.Toxicity = v
		}
	}
	return w, errs
}

// parseDependency parses "IP:port".
func parseDependency(s string) (netip.AddrPort, error) {
	host, port, err := splitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%q is not an IP address (the redirect matches addresses: resolve a host name first)", host)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, fmt.Errorf("port %q is not a number in 1-65535", port)
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsMulticast() {
		return netip.AddrPort{}, fmt.Errorf("%s is not a unicast address", a)
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// splitHostPort splits "host:port" or "[v6]:port".
func splitHostPort(s string) (host, port string, err error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", fmt.Errorf("%q is not IP:port (no port)", s)
	}
	host, port = s[:i], s[i+1:]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return "", "", fmt.Errorf("%q is not IP:port (write an IPv6 address as [addr]:port)", s)
	}
	return host, port, nil
}

// parseServer checks a Toxiproxy API URL: http or https, a host, no
// credentials (the URL is recorded in the State, which is no place for
// a secret), no query.
func parseServer(s string) (*url.URL, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: scheme %q is not http or https", raw, u.Scheme)
	case u.Host == "":
		return nil, fmt.Errorf("%q has no host", raw)
	case u.User != nil:
		return nil, fmt.Errorf("%q carries credentials; Tempest records the server in the run's history: put none in it", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q: a query or fragment is not allowed", raw)
	}
	if port := u.Port(); port != "" {
		if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return nil, fmt.Errorf("port %q is not a number in 1-65535", port)
		}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}
