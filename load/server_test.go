package load

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// target is a real net/http server on 127.0.0.1 that counts requests,
// keeps their bodies, and can sleep or fail on demand.
type target struct {
	*httptest.Server
	hits     atomic.Int64
	inFlight atomic.Int64
	mu       sync.Mutex
	bodies   []string
	sleep    time.Duration
	failing  func(time.Time) bool // 503 when true
	keepBody bool
	// queries keeps every request's query string when keepBody is set.
	queries []string
}

func startTarget(t *testing.T, configure func(*target)) *target {
	t.Helper()
	tg := &target{}
	if configure != nil {
		configure(tg)
	}
	tg.Server = httptest.NewServer(http.HandlerFunc(tg.serve))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) serve(w http.ResponseWriter, r *http.Request) {
	tg.hits.Add(1)
	tg.inFlight.Add(1)
	defer tg.inFlight.Add(-1)
	body, _ := io.ReadAll(r.Body)
	if tg.keepBody {
		tg.mu.Lock()
		tg.bodies = append(tg.bodies, string(body))
		tg.queries = append(tg.queries, r.URL.RawQuery)
		tg.mu.Unlock()
	}
	if tg.sleep > 0 {
		select {
		case <-time.After(tg.sleep):
		case <-r.Context().Done():
			return
		}
	}
	if tg.failing != nil && tg.failing(time.Now()) {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

// constantLoad is a GET load on url at rate for d.
func constantLoad(url, rate string, d time.Duration) experiment.Load {
	return experiment.Load{Rate: rate, Duration: experiment.Duration(d), Targets: []experiment.LoadTarget{{URL: url}}}
}

// within reports whether got is within frac of want.
func within(got, want int64, frac float64) bool {
	diff := float64(got - want)
	return diff <= frac*float64(want) && -diff <= frac*float64(want)
}

// headerRecorder answers 200 and reports "Authorization|X-Plain".
func headerRecorder(got chan<- string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.Header.Get("Authorization") + "|" + r.Header.Get("X-Plain"):
		default:
		}
	})
}
