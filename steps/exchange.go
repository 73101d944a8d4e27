package steps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/exportimage/eic/internal/acs"
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

// validate checks the response against the spec. JSON bodies go through kin-openapi
// (status, content type, schema of the documented response). XML bodies cannot: the
// document declares JSON schemas only and XML leaves are all strings, so an XML response is
// checked for its content type (exactly text/xml;charset=utf-8, the form the SDK parses),
// its root element (<Action>Response or Error) and the top-level fields the JSON schema
// requires. An action the document does not define (InvalidAction.NotFound scenarios) is
// checked for the error envelope only.
func (x *exchange) validate(ctx context.Context, s *spec.Spec) error {
	if x.err != nil {
		return fmt.Errorf("transport: %w", x.err)
	}
	ct := x.header.Get("Content-Type")
	op, opErr := s.Operation(x.action)
	isXML := strings.Contains(strings.ToLower(ct), "xml")
	if opErr != nil || isXML || x.status >= 400 {
		return x.validateEnvelope(op, isXML)
	}
	// kin-openapi re-reads the request's query only; give it a clean copy.
	r := x.req.Clone(ctx)
	r.Body = http.NoBody
	if err := s.ValidateResponse(ctx, x.action, r, x.status, x.header, x.body); err != nil {
		return fmt.Errorf("response does not match the spec: %v", err)
	}
	return nil
}

func (x *exchange) validateEnvelope(op *spec.Operation, isXML bool) error {
	ct := x.header.Get("Content-Type")
	if isXML && ct != acs.ContentTypeXML {
		return fmt.Errorf("content type = %q, want %q", ct, acs.ContentTypeXML)
	}
	if !isXML && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return fmt.Errorf("content type = %q, want application/json", ct)
	}
	if x.status >= 400 {
		env, err := acs.DecodeError(ct, x.body)
		if err != nil {
			return fmt.Errorf("error body is not an error envelope: %v", err)
		}
		if env.RequestId == "" || env.Message == "" {
			return fmt.Errorf("error envelope lacks RequestId or Message (RequestId %q, Message %q)", env.RequestId, env.Message)
		}
		if isXML {
			body, _ := acs.DecodeBody(ct, x.body)
			if body != nil && body.Root != "Error" {
				return fmt.Errorf("XML error root = %q, want \"Error\"", body.Root)
			}
		}
		return nil
	}
	if x.status != http.StatusOK {
		return fmt.Errorf("status = %d, want 200 or an error status", x.status)
	}
	body, err := acs.DecodeBody(ct, x.body)
	if err != nil {
		return fmt.Errorf("body does not decode: %v", err)
	}
	if isXML && body.Root != x.action+"Response" {
		return fmt.Errorf("XML root = %q, want %q", body.Root, x.action+"Response")
	}
	if op == nil {
		return nil
	}
	resp := op.Operation.Responses.Status(200)
	if resp == nil || resp.Value == nil {
		return nil
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	for _, name := range mt.Schema.Value.Required {
		if _, ok := body.Fields[name]; !ok {
			return fmt.Errorf("response lacks the required field %q", name)
		}
	}
	return nil
}
