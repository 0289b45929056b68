package payloadcodec

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

const uiOrigin = "http://localhost:8233"

func newServer(t *testing.T, auth string) (*httptest.Server, *Codec) {
	t.Helper()
	k, _ := newKey(t)
	c := New(k)
	srv := httptest.NewServer(Handler(c, HandlerOptions{Origins: []string{uiOrigin}, Authorization: auth}))
	t.Cleanup(srv.Close)
	return srv, c
}

func post(t *testing.T, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestHandlerRoundTrip(t *testing.T) {
	srv, c := newServer(t, "")
	enc, _ := c.Encode([]*commonpb.Payload{jsonPayload(t, "hello")})
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	// Mounted under a prefix, as behind a proxy: only the last element counts.
	resp, b := post(t, srv.URL+"/codec/decode", body, map[string]string{"Origin": uiOrigin, "X-Namespace": "default"})
	if resp.StatusCode != 200 {
		t.Fatalf("decode: %d %s", resp.StatusCode, b)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != uiOrigin {
		t.Errorf("no CORS header on the answer: %v", resp.Header)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(out.GetPayloads()[0], &s); err != nil || s != "hello" {
		t.Fatalf("decoded %q %v (%s)", s, err, b)
	}
	// encode then decode.
	resp, b = post(t, srv.URL+"/encode", []byte(`{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"IngiCg=="}]}`), nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "YmluYXJ5L2VuY3J5cHRlZA==") {
		t.Fatalf("encode: %d %s", resp.StatusCode, b)
	}
	resp, b = post(t, srv.URL+"/decode", b, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"IngiCg=="`) {
		t.Fatalf("decode of encode: %d %s", resp.StatusCode, b)
	}
	resp, b = post(t, srv.URL+"/decode", []byte(`{"payloads": [`), nil)
	if resp.StatusCode != 400 {
		t.Errorf("bad JSON: %d %s", resp.StatusCode, b)
	}
}

func TestHandlerCORS(t *testing.T) {
	srv, _ := newServer(t, "Bearer s3cret")
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight(uiOrigin)
	if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != uiOrigin ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight from the UI: %d %v", resp.StatusCode, resp.Header)
	}
	if resp.Header.Get("Access-Control-Allow-Private-Network") != "" {
		t.Errorf("private network allowed without being asked: %v", resp.Header)
	}
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
	req.Header.Set("Origin", uiOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Private-Network", "true")
	pna, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pna.Body.Close()
	if pna.Header.Get("Access-Control-Allow-Private-Network") != "true" {
		t.Errorf("private network preflight: %d %v", pna.StatusCode, pna.Header)
	}
	resp = preflight("http://evil.example")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	body := []byte(`{"payloads":[]}`)
	if resp, b := post(t, srv.URL+"/decode", body, map[string]string{"Origin": "http://evil.example", "Authorization": "Bearer s3cret"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST from another origin: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(t, srv.URL+"/decode", body, map[string]string{"Origin": uiOrigin}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no Authorization: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(t, srv.URL+"/decode", body, map[string]string{"Origin": uiOrigin, "Authorization": "Bearer wrong"}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong Authorization: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(t, srv.URL+"/decode", body, map[string]string{"Origin": uiOrigin, "Authorization": "Bearer s3cret"}); resp.StatusCode != 200 {
		t.Errorf("right Authorization: %d %s", resp.StatusCode, b)
	}
}
