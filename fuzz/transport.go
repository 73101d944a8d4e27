package fuzz

import (
	"bytes"
	"context"
	"encoding/json"
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
	ReqDump  string
	Status   int
	Header   http.Header
	Body     []byte
	Err      error
	Duration time.Duration
}

// do sends r and reads the whole answer.
func do(rt http.RoundTripper, r *http.Request) *Exchange {
	x := &Exchange{Request: r}
	if dump, err := httputil.DumpRequestOut(r, true); err == nil {
		x.ReqDump = string(dump)
	} else {
		x.ReqDump = r.Method + " " + r.URL.String()
	}
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

// String renders the exchange: request line, headers and body, then status line, headers
// and body (headers sorted).
func (x *Exchange) String() string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(strings.TrimRight(x.ReqDump, "\r\n"), "\r\n", "\n"))
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

// Control is a client of the reference's control API (/_reference/, bearer token).
type Control struct {
	Endpoint  string // scheme://host[:port]
	Token     string
	Transport http.RoundTripper
	Timeout   time.Duration
}

// Do calls the control API; in (if not nil) is sent as JSON, out (if not nil) receives the
// JSON answer. A status other than 2xx is an error.
func (c *Control) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	r, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Endpoint, "/")+"/_reference/"+path, body)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	x := do(c.Transport, r)
	if x.Err != nil {
		return fmt.Errorf("control %s %s: %w", method, path, x.Err)
	}
	if x.Status/100 != 2 {
		return fmt.Errorf("control %s %s: %d %s", method, path, x.Status, bytes.TrimSpace(x.Body))
	}
	if out != nil {
		if err := json.Unmarshal(x.Body, out); err != nil {
			return fmt.Errorf("control %s %s: %w", method, path, err)
		}
	}
	return nil
}

// Reset puts the reference back to its fixtures (clock unchanged).
func (c *Control) Reset(ctx context.Context) error { return c.Do(ctx, "POST", "reset", nil, nil) }

// Now reads the reference's clock.
func (c *Control) Now(ctx context.Context) (time.Time, error) {
	var v struct {
		Now time.Time `json:"now"`
	}
	err := c.Do(ctx, "GET", "clock", nil, &v)
	return v.Now, err
}

// Advance moves the virtual clock; tasks progress before it answers.
func (c *Control) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	var v struct {
		Now time.Time `json:"now"`
	}
	err := c.Do(ctx, "POST", "clock/advance", map[string]string{"duration": d.String()}, &v)
	return v.Now, err
}

// SetQuota sets an account's export quota in a region.
func (c *Control) SetQuota(ctx context.Context, account, region string, q Quota) error {
	return c.Do(ctx, "PUT", "quotas", map[string]any{"account": account, "region": region,
		"concurrent": q.Concurrent, "weekly": q.Weekly}, nil)
}

// Object is one entry of a bucket listing.
type Object struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

// Objects lists a bucket.
func (c *Control) Objects(ctx context.Context, bucket string) ([]Object, error) {
	var list []Object
	err := c.Do(ctx, "GET", "buckets/"+bucket+"/objects", nil, &list)
	return list, err
}
