package experiment

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// checkHTTPURL reports a URL that is missing, does not parse, or is not
// http(s) with a host.
func checkHTTPURL(path, raw string) []FieldError {
	if raw == "" {
		return []FieldError{fieldErr(path, "required")}
	}
	if !strings.Contains(raw, "://") {
		return []FieldError{fieldErr(path, "%q must be an absolute http or https URL such as http://127.0.0.1:8080/", raw)}
	}
	// url.Parse is pure; workflowcheck flags it only because parsing an
	// IPv6 zone interns a string (unique.Make).
	u, err := url.Parse(raw) //workflowcheck:ignore
	if err != nil {
		return []FieldError{fieldErr(path, "invalid URL: %v", errorText(err))}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return []FieldError{fieldErr(path, "scheme must be http or https, got %q", u.Scheme)}
	}
	if u.Host == "" {
		return []FieldError{fieldErr(path, "must name a host")}
	}
	return nil
}

// errorText drops the Go error's restatement of the input, which the
// message already locates.
func errorText(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// checkMethod reports an HTTP method that is not an upper-case token.
func checkMethod(path, method string) []FieldError {
	if method == "" {
		return nil
	}
	for _, r := range method {
		if r < 'A' || r > 'Z' {
			return []FieldError{fieldErr(path, "%q is not an HTTP method such as GET or POST", method)}
		}
	}
	return nil
}

// checkHeaders reports header names that are not HTTP tokens, in sorted
// order.
func checkHeaders(path string, headers map[string]SecretRef) []FieldError {
	var errs []FieldError
	for _, name := range sortedKeys(headers) {
		if name == "" || strings.ContainsFunc(name, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || strings.ContainsRune(headerSeparators, r)
		}) {
			errs = append(errs, fieldErr(field(path, name), "invalid header name"))
		}
	}
	return errs
}

// checkAddress reports a TCP address that is not host:port.
func checkAddress(path, addr string) []FieldError {
	if addr == "" {
		return []FieldError{fieldErr(path, "required")}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []FieldError{fieldErr(path, "%q must be host:port", addr)}
	}
	n, err := strconv.Atoi(port)
	if host == "" || err != nil || !portRange.contains(n) {
		return []FieldError{fieldErr(path, "%q must be host:port with a port in %d..%d", addr, portRange.min, portRange.max)}
	}
	return nil
}
