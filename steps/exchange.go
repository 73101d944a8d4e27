package steps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/exportimage/eic/spec"
)

// exchange is one HTTP request and its response, kept so a failing step can print exactly
// what went over the wire.
type exchange struct {
	action  string
	req     *http.Request
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
	err     error // transport error
}

const dumpLimit = 8 << 10

// String renders the exchange: request line, headers, body; response status, headers, body.
func (x *exchange) String() string {
	if x == nil || x.req == nil {
		return "  (no request was sent)\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  > %s %s HTTP/1.1\n", x.req.Method, x.req.URL.RequestURI())
	fmt.Fprintf(&b, "  > Host: %s\n", x.req.URL.Host)
	writeHeaders(&b, "  > ", x.req.Header)
	writeBody(&b, "  > ", x.reqBody)
	if x.err != nil {
		fmt.Fprintf(&b, "  < (transport error: %v)\n", x.err)
		return b.String()
	}
	fmt.Fprintf(&b, "  < HTTP/1.1 %d %s\n", x.status, http.StatusText(x.status))
	writeHeaders(&b, "  < ", x.header)
	writeBody(&b, "  < ", x.body)
	return b.String()
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}

func writeBody(b *strings.Builder, prefix string, body []byte) {
	b.WriteString(prefix + "\n")
	if len(body) == 0 {
		return
	}
	s := string(body)
	if len(s) > dumpLimit {
		s = s[:dumpLimit] + fmt.Sprintf("… (%d bytes in all)", len(body))
	}
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
}

// do sends req (whose body is reqBody) and records the exchange.
func do(ctx context.Context, client *http.Client, action string, req *http.Request, reqBody []byte) *exchange {
	x := &exchange{action: action, req: req, reqBody: reqBody}
	if len(reqBody) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.ContentLength = int64(len(reqBody))
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		x.err = err
		return x
	}
	defer resp.Body.Close()
	x.status, x.header = resp.StatusCode, resp.Header
	x.body, x.err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return x
}

// validate checks the response against the spec with spec.CheckResponse (content type,
// status, envelope, error row, body schema; an XML body for its root and the fields the
// schema requires, as XML leaves are all strings). A message that is neither the row's nor a
// known variant's is left to the refusal steps, which report it as message drift (failing
// only with --strict).
func (x *exchange) validate(ctx context.Context, s *spec.Spec) error {
	if x.err != nil {
		return fmt.Errorf("transport: %w", x.err)
	}
	if err := s.CheckResponse(x.action, x.status, x.header, x.body).Hard(); err != nil {
		return fmt.Errorf("response does not match the spec: %w", err)
	}
	return nil
}
