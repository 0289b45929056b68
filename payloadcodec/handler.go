package payloadcodec

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// MaxRequestBytes bounds the body of an encode or decode request.
const MaxRequestBytes = 32 << 20

// HandlerOptions configure Handler.
type HandlerOptions struct {
	// Origins are the origins of the Temporal Web UIs allowed to call the
	// codec from a browser (e.g. "http://localhost:8233"): CORS preflights
	// from them are answered; from any other origin they, and requests
	// carrying that Origin, are refused with 403.
	Origins []string
	// Authorization, when set, is the exact Authorization header value a
	// request must carry (e.g. "Bearer <token>"); others get 401.
	// Preflights never carry it and are not checked.
	Authorization string
}

// corsAllowedHeaders are the request headers the UI sends to a codec.
const corsAllowedHeaders = "Content-Type, X-Namespace, Authorization"

// Handler serves the remote codec protocol of the Temporal Web UI and CLI
// with c: POST to a path ending in /encode or /decode with a Payloads
// message as protobuf JSON ({"payloads":[{"metadata":{...},"data":"..."}]})
// answers the payloads encoded or decoded, in the same form. A body that
// does not parse, or payloads that do not decode, get 400 with the reason.
func Handler(c *Codec, opts HandlerOptions) http.Handler {
	return &handler{codec: c, opts: opts}
}

type handler struct {
	codec *Codec
	opts  HandlerOptions
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin != "" {
		if !slices.Contains(h.opts.Origins, origin) {
			http.Error(w, "origin "+origin+" is not allowed (codec-server --ui-origin)", http.StatusForbidden)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	encode := strings.HasSuffix(r.URL.Path, "/encode")
	if !encode && !strings.HasSuffix(r.URL.Path, "/decode") {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodOptions:
		if origin == "" {
			http.Error(w, "a CORS preflight needs an Origin", http.StatusBadRequest)
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", corsAllowedHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		// A UI served from the internet calling a codec on this machine
		// (Chrome's Private Network Access).
		if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
			w.Header().Set("Access-Control-Allow-Private-Network", "true")
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	if want := h.opts.Authorization; want != "" &&
		subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
		http.Error(w, "missing or wrong Authorization header", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in commonpb.Payloads
	if err := protojson.Unmarshal(body, &in); err != nil {
		http.Error(w, "body is not a Payloads message in protobuf JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	var out []*commonpb.Payload
	if encode {
		out, err = h.codec.Encode(in.GetPayloads())
	} else {
		out, err = h.codec.Decode(in.GetPayloads())
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
