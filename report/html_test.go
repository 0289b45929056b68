package report

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// pageState is what the browser test reads of a rendered report.
type pageState struct {
	Verdict string `json:"verdict"`
	Link    string `json:"link"`
	Events  int    `json:"events"`
	Charts  []struct {
		ID       string  `json:"id"`
		Canvases int     `json:"canvases"`
		CanvasW  int     `json:"canvasW"`
		Left     float64 `json:"left"`
		Width    float64 `json:"width"`
		Markers  []struct {
			At float64 `json:"at"`
			X  float64 `json:"x"`
		} `json:"markers"`
		Reverts int `json:"reverts"`
	} `json:"charts"`
}

// readPage is the JavaScript that reads a pageState.
const readPage = `(() => ({
  verdict: document.getElementById("verdict").textContent,
  link: (document.getElementById("ui-link") || {}).href || "",
  events: document.querySelectorAll("#events tr.ev").length,
  charts: [...document.querySelectorAll(".chart")].map(el => {
    const over = el.querySelector(".u-over").getBoundingClientRect();
    const c = el.querySelector("canvas");
    return {
      id: el.id, canvases: el.querySelectorAll("canvas").length, canvasW: c ? c.width : 0,
      left: over.left, width: over.width,
      markers: [...el.querySelectorAll(".marker.inject")].map(m => ({at: +m.dataset.at, x: m.getBoundingClientRect().left})),
      reverts: el.querySelectorAll(".marker.revert").length,
    };
  }),
}))()`

// TestHTMLInBrowser renders the sample report in headless Chromium with
// the network off: three charts are drawn, each with one marker per
// injection where it took effect, the verdict is shown, nothing is
// fetched, and a screenshot is not blank.
func TestHTMLInBrowser(t *testing.T) {
	r := sampleRun()
	path := filepath.Join(t.TempDir(), "report.html")
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := c.openOffline(ctx, path); err != nil {
		t.Fatal(err)
	}
	var st pageState
	if err := c.eval(ctx, readPage, &st); err != nil {
		t.Fatal(err)
	}
	if st.Verdict != "Failed" {
		t.Errorf("verdict %q, want Failed", st.Verdict)
	}
	if st.Link != r.UILink {
		t.Errorf("UI link %q, want %q", st.Link, r.UILink)
	}
	if want := len(r.Timeline.Events()); st.Events != want {
		t.Errorf("%d timeline rows, want %d", st.Events, want)
	}
	// The x axis runs from the series' start to its end (40 one-second
	// points); the injections took effect at +10s, +20s and +21s.
	x0, x1 := float64(t0.Unix()), float64(t0.Add(40*time.Second).Unix())
	want := []time.Duration{10 * time.Second, 20 * time.Second, 21 * time.Second}
	if len(st.Charts) != 3 {
		t.Fatalf("%d charts, want 3 (rate, errors, latency)", len(st.Charts))
	}
	for _, ch := range st.Charts {
		if ch.Canvases == 0 || ch.CanvasW < 300 {
			t.Errorf("%s: %d canvases, %d px wide", ch.ID, ch.Canvases, ch.CanvasW)
		}
		if len(ch.Markers) != len(want) {
			t.Errorf("%s: %d injection markers, want %d", ch.ID, len(ch.Markers), len(want))
			continue
		}
		if ch.Reverts != 2 {
			t.Errorf("%s: %d revert markers, want 2 (the third revert failed)", ch.ID, ch.Reverts)
		}
		for i, m := range ch.Markers {
			at := float64(t0.Add(want[i]).Unix())
			if m.At != at {
				t.Errorf("%s: marker %d at %v, want %v", ch.ID, i, m.At, at)
			}
			x := ch.Left + (at-x0)/(x1-x0)*ch.Width
			if math.Abs(m.X-x) > 1 {
				t.Errorf("%s: marker %d at x=%.1f px, want %.1f (plot from %.1f, %.1f wide)", ch.ID, i, m.X, x, ch.Left, ch.Width)
			}
		}
	}
	if got := c.fetched(path); len(got) > 0 {
		t.Errorf("the page fetched %v; a report must be self-contained", got)
	}
	shot, err := c.screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	colors, ink, all := map[uint32]bool{}, 0, 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X; x < bd.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			colors[(r>>8)<<16|(g>>8)<<8|b>>8] = true
			if r < 0xf000 || g < 0xf000 || b < 0xf000 {
				ink++
			}
			all++
		}
	}
	if len(colors) < 20 || ink < all/50 {
		t.Errorf("the screenshot looks blank: %d colours, %d of %d sampled pixels not white", len(colors), ink, all)
	}
	if testing.Verbose() {
		_ = os.WriteFile(filepath.Join(os.TempDir(), "tempest-report-test.png"), shot, 0o644)
	}

	// A one-hour run at 1,000 req/s: 3,600 points, 60 injections.
	hour := hourRun()
	b.Reset()
	if err := HTML(&b, hour); err != nil {
		t.Fatal(err)
	}
	hourPath := filepath.Join(t.TempDir(), "hour.html")
	if err := os.WriteFile(hourPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.openOffline(ctx, hourPath); err != nil {
		t.Fatal(err)
	}
	t.Logf("a one-hour report (%d bytes) loaded and drew its charts in %v", b.Len(), time.Since(start).Round(time.Millisecond))
	st = pageState{}
	if err := c.eval(ctx, readPage, &st); err != nil {
		t.Fatal(err)
	}
	for _, ch := range st.Charts {
		if len(ch.Markers) != 60 || ch.Reverts != 60 {
			t.Errorf("%s: %d injection and %d revert markers, want 60 of each", ch.ID, len(ch.Markers), ch.Reverts)
		}
	}
	if got := c.fetched(path, hourPath); len(got) > 0 {
		t.Errorf("the page fetched %v", got)
	}
}

// TestHTMLSelfContained: nothing in the page loads from elsewhere, and
// its policy forbids it.
func TestHTMLSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, hourRun()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, `Content-Security-Policy" content="default-src 'none'`) {
		t.Error("no Content-Security-Policy forbidding fetches")
	}
	if m := regexp.MustCompile(`(?i)<(script|img|link|iframe)[^>]+(src|href)=`).FindString(page); m != "" {
		t.Errorf("the page loads a resource: %s", m)
	}
	if b.Len() > 1<<20 {
		t.Errorf("a one-hour report is %d bytes, want under 1 MB", b.Len())
	}
}

// TestHTMLWithoutLoad: a run with no load and nothing in its timeline (an
// invalid spec, a dry run) still renders, without charts.
func TestHTMLWithoutLoad(t *testing.T) {
	r := Run{WorkflowID: "w", Result: experiment.Result{Experiment: "x", Verdict: experiment.VerdictErrored, Reasons: []string{"a <b> reason"}, StartedAt: t0, EndedAt: t0}}
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, `class="chart"`) || !strings.Contains(page, `<strong id="verdict">Errored</strong>`) || !strings.Contains(page, "a &lt;b&gt; reason") {
		t.Errorf("page:\n%s", page[strings.Index(page, "<body>"):])
	}
}
