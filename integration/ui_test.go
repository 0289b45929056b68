package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/workflows"
)

// uiWait bounds each wait for the Web UI to show something: the list is
// fed by visibility, which trails the close, and the single-page app
// loads and renders asynchronously (slowly on a loaded 2-core machine).
const uiWait = 3 * time.Minute

// TestUIShowsAFailedExperiment (issue #11): on a fresh `tempest dev`, with
// no column configured, an experiment whose verdict is Failed shows as
// Failed in the Web UI's workflow list, and its history reads as what it
// did: the hold timer and the inject and revert activities carry their
// summaries. The pages are rendered by headless Chromium, as a user's
// browser would; on failure they are kept in a directory the test names.
func TestUIShowsAFailedExperiment(t *testing.T) {
	tempestBin, targetBin := binaries(t)
	saved := keepOnFailure(t)
	br := startBrowser(t)
	dev := startDev(t, tempestBin, saved)
	tg := startTarget(t, targetBin)
	pid := readPid(t, tg.pidfile)

	// The kill is held 5 s and nothing restarts the target, so the EOT
	// probe fails and so does the experiment.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, dev.client, decode(t, killSpec(tg, 5*time.Second, nil)), starter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Result(ctx)
	if err != nil {
		t.Fatalf("result of %s: %v", run.ID, err)
	}
	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed; reasons %v", res.Verdict, res.Reasons)
	}
	desc, err := dev.client.DescribeWorkflowExecution(ctx, run.ID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("experiment %s run %s: verdict %s, workflow %s", run.ID, run.RunID, res.Verdict, desc.GetWorkflowExecutionInfo().GetStatus())
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		t.Errorf("workflow status %s, want Failed (a verdict that is not Passed fails the workflow)", st)
	}

	t.Run("list", func(t *testing.T) {
		url := dev.ui + "/namespaces/default/workflows"
		var row uiListRow
		err := br.poll(t.Context(), url, uiWait, saved, "list", listRowJS(run.ID), &row, func() bool {
			// The run has closed: once its row shows a closed status the
			// status is final (visibility may first show it Running).
			return row.Found && row.Status != "" && row.Status != "Running"
		})
		t.Logf("list row of %s: %+v", run.ID, row)
		if err != nil {
			t.Fatalf("no closed row for %s in the workflow list at %s: %v", run.ID, url, err)
		}
		if row.Column != "Status" {
			t.Errorf("the status badge is in column %q, want the default Status column (columns %q)", row.Column, row.Headers)
		}
		if row.Status != "Failed" {
			t.Errorf("the list shows %s as %q, want Failed", run.ID, row.Status)
		}
	})

	t.Run("history", func(t *testing.T) {
		url := fmt.Sprintf("%s/namespaces/default/workflows/%s/%s/history", dev.ui, run.ID, run.RunID)
		var h uiHistory
		err := br.poll(t.Context(), url, uiWait, saved, "history", historyJS, &h, h.rendered)
		t.Logf("history of %s: %d events, summaries:\n%s", run.ID, h.Events, h)
		if err != nil {
			t.Fatalf("the history page at %s did not render its summaries: %v", url, err)
		}
		target := "pid/" + strconv.Itoa(pid)
		for _, want := range []struct{ event, prefix, contains string }{
			{"Timer Started", "hold kill-target", "5s"},
			{"Activity Task Scheduled", "inject kill-target", target},
			{"Activity Task Scheduled", "revert kill-target", target},
		} {
			if !h.has(want.event, want.prefix, want.contains) {
				t.Errorf("no %s event whose summary starts with %q and names %q", want.event, want.prefix, want.contains)
			}
		}
	})
}

// uiListRow is what the workflow list shows for one workflow ID.
type uiListRow struct {
	Found bool `json:"found"`
	// Status is the text of the row's status badge
	// (span[data-testid=execution-status]).
	Status string `json:"status"`
	// Column is the header of the column the badge is in.
	Column  string   `json:"column"`
	Rows    int      `json:"rows"`
	Headers []string `json:"headers"`
}

// listRowJS finds the list row whose link reads workflow ID id. The row is
// tr[data-testid=workflows-summary-configurable-table-row]; its status
// badge span[data-testid=execution-status] holds the status's name (shown
// upper-case by CSS, so textContent, not innerText).
func listRowJS(id string) string {
	return fmt.Sprintf(`(() => {
  const id = %q;
  const ths = [...document.querySelectorAll('thead th')];
  const headers = ths.map(th => th.textContent.trim());
  const rows = [...document.querySelectorAll('tr[data-testid="workflows-summary-configurable-table-row"]')];
  for (const row of rows) {
    if (![...row.querySelectorAll('a')].some(a => a.textContent.trim() === id)) continue;
    const badge = row.querySelector('[data-testid="execution-status"]');
    if (!badge) return {found: true, rows: rows.length, headers};
    const th = ths[[...row.cells].indexOf(badge.closest('td'))];
    return {found: true, status: badge.textContent.trim(), column: th ? th.textContent.trim() : '', rows: rows.length, headers};
  }
  return {found: false, rows: rows.length, headers};
})()`, id)
}

// uiHistory is the summaries shown on a workflow's history page.
type uiHistory struct {
	Events    int         `json:"events"`
	Summaries []uiSummary `json:"summaries"`
}

// uiSummary is one event's summary: the UI renders it (as Markdown) in an
// iframe titled "Summary" inside the event's row
// (tr[data-testid=event-summary-row]), loaded from /render?content=...
type uiSummary struct {
	// Row is the start of the event row's text ("29 ... Timer Started ...").
	Row string `json:"row"`
	// Text is the rendered summary; null until the iframe has loaded.
	Text *string `json:"text"`
	Src  string  `json:"src"`
}

const historyJS = `(() => {
  const frames = [...document.querySelectorAll('iframe[title="Summary"]')];
  return {
    events: document.querySelectorAll('tr[data-testid="event-summary-row"]').length,
    summaries: frames.map(f => {
      const row = f.closest('tr');
      let text = null, src = '';
      try {
        src = f.contentWindow.location.href;
        const d = f.contentDocument;
        if (d && d.body && src.includes('/render')) text = d.body.textContent.replace(/\s+/g, ' ').trim();
      } catch (e) {}
      return {row: row ? row.textContent.replace(/\s+/g, ' ').trim().slice(0, 160) : '', text, src};
    }),
  };
})()`

// rendered: events are listed and every summary iframe has rendered text.
func (h *uiHistory) rendered() bool {
	if h.Events == 0 || len(h.Summaries) == 0 {
		return false
	}
	for _, s := range h.Summaries {
		if s.Text == nil || *s.Text == "" {
			return false
		}
	}
	return true
}

// has reports whether an event row naming event carries a summary that
// starts with prefix and contains contains.
func (h *uiHistory) has(event, prefix, contains string) bool {
	for _, s := range h.Summaries {
		if s.Text != nil && strings.Contains(s.Row, event) && strings.HasPrefix(*s.Text, prefix) && strings.Contains(*s.Text, contains) {
			return true
		}
	}
	return false
}

func (h uiHistory) String() string {
	var b strings.Builder
	for _, s := range h.Summaries {
		text := "<not rendered>"
		if s.Text != nil {
			text = strconv.Quote(*s.Text)
		}
		fmt.Fprintf(&b, "  %s\n    in row %q\n", text, s.Row)
	}
	return b.String()
}

// poll loads url and evaluates js into out until done holds or within has
// passed, reloading the page now and then (the list does not refresh by
// itself at once). The last HTML and value are written to saved/name.*.
func (b *browser) poll(ctx context.Context, url string, within time.Duration, saved, name, js string, out any, done func() bool) error {
	const reload = 20 * time.Second
	deadline := time.Now().Add(within)
	var lastErr error
	defer func() {
		htmlCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if html, err := b.html(htmlCtx); err == nil {
			_ = os.WriteFile(filepath.Join(saved, name+".html"), []byte(html), 0o644)
		}
		_ = os.WriteFile(filepath.Join(saved, name+".txt"), []byte(fmt.Sprintf("url %s\nlast error %v\nvalue %+v\n", url, lastErr, out)), 0o644)
	}()
	var loaded time.Time
	for ; time.Now().Before(deadline); time.Sleep(time.Second) {
		if time.Since(loaded) > reload {
			if err := b.navigate(ctx, url); err != nil {
				return err
			}
			loaded = time.Now()
			continue
		}
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		lastErr = b.eval(callCtx, js, out)
		cancel()
		if lastErr == nil && done() {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if lastErr != nil {
		return fmt.Errorf("not within %s; last evaluation: %w", within, lastErr)
	}
	return fmt.Errorf("not within %s", within)
}

// keepOnFailure is a directory for what a failing test leaves to look at
// (rendered pages, the dev server's output); it is removed when the test
// passes.
func keepOnFailure(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tempest-"+t.Name()+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("rendered pages and logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}

// devProcess is a running `tempest dev`: an embedded Temporal server, its
// Web UI and a worker on the default task queue.
type devProcess struct {
	ui       string
	frontend string
	client   client.Client
}

// startDev runs the built tempest binary as `tempest dev` on free ports
// with a fresh state dir, as a user would start it, and waits until its
// Web UI answers and a client is connected. Its output goes to logDir;
// args are more flags of dev.
func startDev(t *testing.T, bin, logDir string, args ...string) devProcess {
	t.Helper()
	port, uiPort := freePort(t), freePort(t)
	stdout, err := os.Create(filepath.Join(logDir, "dev.stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(logDir, "dev.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--state-dir", t.TempDir(), "--port", strconv.Itoa(port), "--ui-port", strconv.Itoa(uiPort),
		"dev", "--worker-state-dir", t.TempDir()}, args...)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-exited
		}
		stdout.Close()
		stderr.Close()
	})

	ui := fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(stderr.Name())
			t.Fatalf("tempest dev exited while starting: %v\n%s", err, out)
		default:
		}
		if resp, err := http.Get(ui + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(stderr.Name())
			t.Fatalf("tempest dev's UI at %s did not answer within 2m\n%s", ui, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port)})
	if err != nil {
		t.Fatalf("dial tempest dev's frontend: %v", err)
	}
	t.Cleanup(c.Close)
	// The worker polls once dev has printed its queues.
	for !strings.Contains(readFile(stderr.Name()), "worker polling task queue "+workflows.DefaultTaskQueue) {
		if ctx.Err() != nil {
			t.Fatalf("tempest dev's worker did not start:\n%s", readFile(stderr.Name()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return devProcess{ui: ui, frontend: fmt.Sprintf("127.0.0.1:%d", port), client: c}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
