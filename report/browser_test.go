package report

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chromium is headless Chromium driven over --remote-debugging-pipe (the
// DevTools protocol as NUL-separated JSON on the browser's fds 3 and 4),
// attached to one page. It records every network request the page makes.
type chromium struct {
	w        io.Writer
	mu       sync.Mutex
	next     int
	pending  map[int]chan json.RawMessage
	session  string
	requests []string
	done     chan struct{}
}

func startChromium(t *testing.T) *chromium {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("no chromium on PATH: apt-get install chromium (.ci/install-deps installs it)")
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
		"--window-size=1400,1000", "--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{inR, outW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	c := &chromium{w: inW, pending: map[int]chan json.RawMessage{}, done: make(chan struct{})}
	go c.read(outR)
	t.Cleanup(func() {
		inW.Close()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var target struct{ TargetID string }
	if err := c.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatal(err)
	}
	var att struct{ SessionID string }
	if err := c.call(ctx, "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		t.Fatal(err)
	}
	c.session = att.SessionID
	return c
}

func (c *chromium) read(r io.ReadCloser) {
	defer close(c.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := strings.IndexByte(string(data), 0); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		var m struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		c.mu.Lock()
		if m.Method == "Network.requestWillBeSent" {
			var p struct{ Request struct{ URL string } }
			_ = json.Unmarshal(m.Params, &p)
			c.requests = append(c.requests, p.Request.URL)
		}
		ch := c.pending[m.ID]
		delete(c.pending, m.ID)
		c.mu.Unlock()
		if ch != nil {
			if m.Error != nil {
				m.Result, _ = json.Marshal(map[string]string{"__error": m.Error.Message})
			}
			ch <- m.Result
		}
	}
}

func (c *chromium) call(ctx context.Context, method string, params, out any) error {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan json.RawMessage, 1)
	c.pending[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if c.session != "" {
		msg["sessionId"] = c.session
	}
	b, _ := json.Marshal(msg)
	_, err := c.w.Write(append(b, 0))
	c.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case res := <-ch:
		var e struct {
			Error string `json:"__error"`
		}
		if json.Unmarshal(res, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", method, e.Error)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(res, out)
	case <-c.done:
		return fmt.Errorf("%s: chromium closed its pipe", method)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// eval evaluates a JavaScript expression in the page into out.
func (c *chromium) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	if err := c.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("javascript: %s %s", e.Text, e.Exception.Description)
	}
	return json.Unmarshal(res.Result.Value, out)
}

// openOffline loads the file at path in the page with the network off,
// and waits until the report's script has drawn its charts.
func (c *chromium) openOffline(ctx context.Context, path string) error {
	if err := c.call(ctx, "Network.enable", map[string]any{}, nil); err != nil {
		return err
	}
	if err := c.call(ctx, "Network.emulateNetworkConditions", map[string]any{
		"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}, nil); err != nil {
		return err
	}
	if err := c.call(ctx, "Page.navigate", map[string]any{"url": "file://" + path}, nil); err != nil {
		return err
	}
	for {
		var ready bool
		if err := c.eval(ctx, "document.readyState === 'complete' && !!window.tempestReady", &ready); err == nil && ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the report's charts were not drawn: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// screenshot is the page as PNG.
func (c *chromium) screenshot(ctx context.Context) ([]byte, error) {
	var shot struct{ Data string }
	if err := c.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// fetched lists the requests made other than for the pages opened.
func (c *chromium) fetched(pages ...string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, u := range c.requests {
		if !slices.Contains(pages, strings.TrimPrefix(u, "file://")) && !strings.HasPrefix(u, "data:") {
			out = append(out, u)
		}
	}
	return out
}
