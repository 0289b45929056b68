package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// browser is headless Chromium driven through the DevTools protocol over
// --remote-debugging-pipe: JSON messages separated by NUL bytes, commands
// written to the browser's fd 3, answers and events read from its fd 4.
// It has one page (a target attached in flat mode) that every call acts on.
type browser struct {
	cmd     *exec.Cmd
	out     io.WriteCloser
	mu      sync.Mutex
	next    int
	pending map[int]chan cdpReply
	closed  chan struct{}
	session string
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// chromiumNames are the names Chromium's binary goes by; .ci/install-deps
// installs Debian's chromium.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// startBrowser starts headless Chromium with a fresh profile (so the Web
// UI sees no saved settings, such as configured columns) and opens one
// blank page. A missing Chromium fails the test: it is installed by
// .ci/install-deps.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin := ""
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatalf("no Chromium on PATH (looked for %v): run .ci/install-deps as root (apt-get install chromium)", chromiumNames)
	}
	// toBrowser carries commands (the browser's fd 3), fromBrowser its
	// answers and events (fd 4).
	toBrowserR, toBrowserW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromBrowserR, fromBrowserW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-sync", "--mute-audio",
		"--window-size=1600,1200",
		"--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowserR, fromBrowserW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, err := os.Create(t.TempDir() + "/chromium.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	toBrowserR.Close()
	fromBrowserW.Close()
	b := &browser{cmd: cmd, out: toBrowserW, pending: map[int]chan cdpReply{}, closed: make(chan struct{})}
	go b.read(fromBrowserR)
	t.Cleanup(func() {
		toBrowserW.Close()
		// Chromium's helper processes share its process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logf.Close()
	})

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		t.Fatalf("chromium: open a page: %v (log %s)", err, logf.Name())
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		t.Fatalf("chromium: attach to the page: %v", err)
	}
	b.session = attached.SessionID
	return b
}

// read dispatches the browser's answers to their callers; events are
// dropped.
func (b *browser) read(r io.ReadCloser) {
	defer close(b.closed)
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		for i, c := range data {
			if c == 0 {
				return i + 1, data[:i], nil
			}
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		var msg struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil || msg.ID == 0 {
			continue
		}
		b.mu.Lock()
		ch := b.pending[msg.ID]
		delete(b.pending, msg.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- msg.cdpReply
		}
	}
}

// call sends one command (to the page once one is attached) and decodes
// its result into result (unless nil).
func (b *browser) call(ctx context.Context, method string, params, result any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpReply, 1)
	b.pending[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	data, err := json.Marshal(msg)
	if err == nil {
		_, err = b.out.Write(append(data, 0))
	}
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: send: %w", method, err)
	}
	select {
	case reply := <-ch:
		if reply.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, reply.Error.Message, reply.Error.Code)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(reply.Result, result)
	case <-b.closed:
		return fmt.Errorf("%s: chromium closed its pipe", method)
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// navigate loads url in the page (it returns once the navigation is
// committed, not when the single-page app has rendered).
func (b *browser) navigate(ctx context.Context, url string) error {
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := b.call(ctx, "Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return fmt.Errorf("navigate to %s: %s", url, res.ErrorText)
	}
	return nil
}

// eval evaluates a JavaScript expression in the page and decodes its
// (JSON-serializable) value into out.
func (b *browser) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := b.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &res)
	if err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("javascript: %s %s", e.Text, e.Exception.Description)
	}
	if len(res.Result.Value) == 0 {
		return errors.New("javascript: no value")
	}
	return json.Unmarshal(res.Result.Value, out)
}

// html is the page's current DOM as HTML (iframes not included).
func (b *browser) html(ctx context.Context) (string, error) {
	var s string
	err := b.eval(ctx, "document.documentElement.outerHTML", &s)
	return s, err
}
