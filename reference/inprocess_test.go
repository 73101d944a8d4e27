package reference

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestInProcess_Streams: the response arrives before the handler has finished writing it, and
// closing the body early ends the handler's writes with an error.
func TestInProcess_Streams(t *testing.T) {
	done := make(chan error, 1)
	c := inProcessClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := []byte(strings.Repeat("x", 1<<10))
		for range 1 << 14 { // 16 MiB: more than any buffer between the two sides
			if _, err := w.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}))
	resp, err := c.Get("http://anywhere.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("got %s %q, want 200 text/plain", resp.Status, resp.Header.Get("Content-Type"))
	}
	if n, err := io.ReadFull(resp.Body, make([]byte, 4096)); n != 4096 || err != nil {
		t.Fatalf("read %d: %v", n, err)
	}
	resp.Body.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the handler wrote 16 MiB into a closed body without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler still writes 10 s after the body was closed")
	}
}

// TestInProcess_Request: the handler sees a request as a server would (path and query, host,
// body), and a panic is an error for the client, not a crash.
func TestInProcess_Request(t *testing.T) {
	var got string
	c := inProcessClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		body, _ := io.ReadAll(r.Body)
		got = r.Method + " " + r.Host + " " + r.URL.String() + " " + r.RequestURI + " " + string(body)
		w.WriteHeader(http.StatusTeapot)
	}))
	resp, err := c.Post("http://ecs.example.invalid:8080/a/b?x=1&y=%2F", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "POST ecs.example.invalid:8080 /a/b?x=1&y=%2F /a/b?x=1&y=%2F hello"; got != want || resp.StatusCode != http.StatusTeapot {
		t.Errorf("got %d %q, want 418 %q", resp.StatusCode, got, want)
	}
	if _, err := c.Get("http://ecs.example.invalid/panic"); !errors.Is(err, errHandlerPanic) {
		t.Errorf("a panicking handler: %v, want %v", err, errHandlerPanic)
	}
	ctx, cancel := context.WithCancel(context.Background())
	block := inProcessClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://x.invalid/", nil)
	time.AfterFunc(10*time.Millisecond, cancel)
	if _, err := block.Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled request: %v, want context.Canceled", err)
	}
}
