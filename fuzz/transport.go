package fuzz

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"sort"
	"strings"
	"time"
)

// HandlerTransport is an http.RoundTripper that serves requests with an in-process handler
// (no socket). A handler that does not answer before the request's context ends is
// reported as an error (the goroutine is left behind: a hang is a finding, not a state to
// recover from).
type HandlerTransport struct{ Handler http.Handler }

// RoundTrip implements http.RoundTripper.
func (t HandlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.Handler.ServeHTTP(rec, r)
	}()
	select {
	case <-done:
	case <-r.Context().Done():
		return nil, fmt.Errorf("in-process handler: %w", r.Context().Err())
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}

// Exchange is one HTTP request and its answer, kept byte for byte for reports.
type Exchange struct {
	Request  *http.Request
	Status   int
	Header   http.Header
	Body     []byte
	Err      error
	Duration time.Duration
}

// do sends r and reads the whole answer. r must carry no body (the fuzzer sends every
// parameter in the query), so that it can be rendered again for a report.
func do(rt http.RoundTripper, r *http.Request) *Exchange {
	x := &Exchange{Request: r}
	start := time.Now()
	res, err := rt.RoundTrip(r)
	if err != nil {
		x.Err = err
		x.Duration = time.Since(start)
		return x
	}
	defer res.Body.Close()
	x.Status, x.Header = res.StatusCode, res.Header
	x.Body, x.Err = io.ReadAll(res.Body)
	x.Duration = time.Since(start)
	return x
}

// ReqDump renders the request as it went on the wire (built only when a report needs it:
// most exchanges are never printed).
func (x *Exchange) ReqDump() string {
	r := x.Request.Clone(context.Background())
	r.Body, r.ContentLength = http.NoBody, 0
	if dump, err := httputil.DumpRequestOut(r, false); err == nil {
		return string(dump)
	}
	return r.Method + " " + r.URL.String()
}

// String renders the exchange: request line, headers and body, then status line, headers
// and body (headers sorted).
func (x *Exchange) String() string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(strings.TrimRight(x.ReqDump(), "\r\n"), "\r\n", "\n"))
	b.WriteString("\n\n")
	if x.Err != nil && x.Status == 0 {
		fmt.Fprintf(&b, "(no response: %v)\n", x.Err)
		return b.String()
	}
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\n", x.Status, http.StatusText(x.Status))
	keys := make([]string, 0, len(x.Header))
	for k := range x.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range x.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.Write(x.Body)
	b.WriteString("\n")
	return b.String()
}
