package proxy

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// startToxiproxy runs a real Toxiproxy server (the module's API server,
// in process) with one proxy "db" on loopback in front of upstream, and
// one toxic of the operator's on it. It returns the API's URL and the
// proxy's listen address.
func startToxiproxy(t *testing.T, upstream string) (server, listen string) {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	hs := httptest.NewServer(srv.Routes())
	t.Cleanup(func() {
		hs.Close()
		srv.Collection.Clear()
	})
	u, _ := url.Parse(hs.URL)
	a := api{base: u.String(), client: hs.Client()}
	ctx := within(t, 10*time.Second)
	var p remoteProxy
	if err := a.call(ctx, http.MethodPost, "/proxies", map[string]any{"name": "db", "listen": "127.0.0.1:0", "upstream": upstream, "enabled": true}, &p); err != nil {
		t.Fatalf("create proxy: %v", err)
	}
	if err := a.addToxic(ctx, "db", "operator_latency", wireToxic{Type: "latency", Stream: "upstream", Toxicity: 1, Attributes: map[string]int64{"latency": 0}}); err != nil {
		t.Fatalf("operator's toxic: %v", err)
	}
	return hs.URL, p.Listen
}

func toxicNames(t *testing.T, server string) []string {
	t.Helper()
	u, _ := url.Parse(server)
	p, err := (&Driver{}).api(u).proxy(within(t, 10*time.Second), "db")
	if err != nil {
		t.Fatalf("read proxy: %v", err)
	}
	var out []string
	for _, x := range p.Toxics {
		out = append(out, x.Name)
	}
	slices.Sort(out)
	return out
}

// Named mode against a real Toxiproxy server: the injection's toxics,
// named for the run, add their latency; inject is idempotent; the run's
// toxics are found by listing the server; revert removes exactly them
// and leaves the operator's.
func TestNamedLatency(t *testing.T) {
	echo := startEcho(t, "", "127.0.0.1", 0)
	server, listen := startToxiproxy(t, echo.addr)
	base := medianRTT(t, "", listen, 10)

	d := &Driver{}
	ctx := within(t, time.Minute)
	run := "wf/orders-named/" + runID("run-named") // a workflow ID and run ID, as the kind marks runs
	spec := Spec{Mode: Named, Server: server, Proxy: "db", Toxics: []Toxic{
		{Type: Latency, Latency: ms(100), Jitter: ms(10)},
		{Type: Bandwidth, Rate: "80mbit", Stream: Upstream},
	}}
	st, err := d.Inject(ctx, run, "slow-db", 1, spec)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	want := []string{"operator_latency", ToxicName(run, "slow-db", 1, 0), ToxicName(run, "slow-db", 1, 1)}
	slices.Sort(want)
	if got := toxicNames(t, server); !slices.Equal(got, want) {
		t.Errorf("toxics = %v, want %v", got, want)
	}
	if _, err := d.Inject(ctx, run, "slow-db", 1, spec); err != nil {
		t.Fatalf("second Inject: %v", err)
	}
	if got := toxicNames(t, server); !slices.Equal(got, want) {
		t.Errorf("toxics after the second Inject = %v, want %v", got, want)
	}
	lat := medianRTT(t, "", listen, 10)
	t.Logf("named proxy: median round trip %v, with 100ms ± 10ms latency %v", base, lat)
	if lat < 90*time.Millisecond || lat > base+110*time.Millisecond+400*time.Millisecond {
		t.Errorf("median round trip %v with 100ms ± 10ms, want 90ms to 110ms+%v+400ms", lat, base)
	}

	left, err := d.NamedLeftovers(ctx, server)
	if err != nil {
		t.Fatalf("NamedLeftovers: %v", err)
	}
	if len(left) != 1 || left[0].Run != run || left[0].Proxy != "db" || len(left[0].Toxics) != 2 {
		t.Errorf("NamedLeftovers = %+v, want the run's two toxics on db", left)
	}

	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("second Revert: %v", err)
	}
	if got := toxicNames(t, server); !slices.Equal(got, []string{"operator_latency"}) {
		t.Errorf("toxics after Revert = %v, want the operator's only", got)
	}
	if after := medianRTT(t, "", listen, 10); after > base+50*time.Millisecond {
		t.Errorf("median round trip %v after Revert, want the baseline %v (+50ms)", after, base)
	}

	// A toxic left by a run whose State was lost: CleanupNamedRun finds it.
	if _, err := d.Inject(ctx, run, "slow-db", 2, spec); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	removed, err := d.CleanupNamedRun(ctx, server, run)
	if err != nil || len(removed) != 1 {
		t.Fatalf("CleanupNamedRun = %+v, %v; want one leftover removed", removed, err)
	}
	if got := toxicNames(t, server); !slices.Equal(got, []string{"operator_latency"}) {
		t.Errorf("toxics after CleanupNamedRun = %v", got)
	}
}

// Down disables the named proxy (connections refused) and its revert,
// from the State or from the request alone, enables it again; a proxy
// someone else disabled is left disabled.
func TestNamedDown(t *testing.T) {
	echo := startEcho(t, "", "127.0.0.1", 0)
	server, listen := startToxiproxy(t, echo.addr)
	d := &Driver{}
	ctx := within(t, time.Minute)
	run := "wf/orders-down/" + runID("run-down")
	spec := Spec{Mode: Named, Server: server, Proxy: "db", Toxics: []Toxic{{Type: Down}}}
	connects := func() bool {
		c, err := dial(t, "", listen, 2*time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		_, err = roundTrip(c)
		return err == nil
	}
	if !connects() {
		t.Fatal("baseline: the proxy does not answer")
	}

	st, err := d.Inject(ctx, run, "down", 1, spec)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if !st.Disabled {
		t.Errorf("state %+v does not record the proxy taken down", st)
	}
	if connects() {
		t.Error("the proxy still answers while down")
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if !connects() {
		t.Error("the proxy does not answer after Revert")
	}

	// The State lost: RevertInjection finds the down marker.
	if _, err := d.Inject(ctx, run, "down", 2, spec); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if err := d.RevertInjection(ctx, spec, run, "down", 2); err != nil {
		t.Fatalf("RevertInjection: %v", err)
	}
	if !connects() {
		t.Error("the proxy does not answer after RevertInjection")
	}
	if got := toxicNames(t, server); !slices.Equal(got, []string{"operator_latency"}) {
		t.Errorf("toxics after RevertInjection = %v, want the operator's only", got)
	}

	// Disabled by someone else: down changes nothing and its revert leaves it.
	u, _ := url.Parse(server)
	if err := d.api(u).setEnabled(ctx, "db", false); err != nil {
		t.Fatal(err)
	}
	st, err = d.Inject(ctx, run, "down", 3, spec)
	if err != nil || st.Disabled {
		t.Fatalf("Inject on a disabled proxy = %+v, %v; want nothing recorded", st, err)
	}
	if err := d.Revert(ctx, st); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if connects() {
		t.Error("Revert enabled a proxy Tempest did not disable")
	}
}

func TestNamedUnknownProxy(t *testing.T) {
	echo := startEcho(t, "", "127.0.0.1", 0)
	server, _ := startToxiproxy(t, echo.addr)
	_, err := (&Driver{}).Inject(within(t, time.Minute), runID("run-x"), "x", 1,
		Spec{Mode: Named, Server: server, Proxy: "nope", Toxics: []Toxic{{Type: ResetPeer}}})
	requireKind(t, err, "UnknownTarget")
}
