package spec

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/exportimage/eic/internal/acs"
)

// ErrMessageDrift marks a problem of CheckResponse that is only a message: the code and
// status are a documented row's, the message is neither the row's nor a known variant's.
// The suite reports it apart (failing only with --strict); callers test it with errors.Is.
var ErrMessageDrift = errors.New("message drift")

// Response is a response as CheckResponse read it: decoded once, so that callers compare
// what it says without decoding it again, and every problem found against the document.
type Response struct {
	Action string
	Status int
	Format acs.Format // JSON or XML
	Root   string     // the XML root element ("" for JSON)
	// Fields is the decoded body (see acs.Body); nil when it does not decode.
	Fields map[string]any
	// Code, Message and RequestID are the error envelope's (Code is "" for a success or a
	// body without one).
	Code, Message, RequestID string
	// Rows are the error rows whose code and status the error has (a variant's row too).
	Rows []*Code
	// Problems lists every way the response departs from the document, in the order
	// checked: content type, body decoding, status, envelope, schema, code, message.
	Problems []error
}

// Err joins every problem (nil when there is none).
func (r *Response) Err() error { return errors.Join(r.Problems...) }

// Hard joins the problems other than message drift (nil when there is none).
func (r *Response) Hard() error {
	var hard []error
	for _, p := range r.Problems {
		if !errors.Is(p, ErrMessageDrift) {
			hard = append(hard, p)
		}
	}
	return errors.Join(hard...)
}

func (r *Response) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Errorf(format, args...))
}

// CheckResponse lists every problem of a response to action against the document, in the
// manner of testing/fstest.TestFS:
//
//   - content type: application/json (any parameters), or exactly text/xml;charset=utf-8
//     (the form the SDK parses as XML);
//   - the body decodes as that format;
//   - status: 200, or an error status that some error row or variant has;
//   - an error carries the envelope (RequestId, Code, Message; XML root Error), a code of
//     the error table with that status, and the row's message or a known variant's
//     (ErrMessageDrift otherwise);
//   - a JSON body matches the schema the operation documents for its status (the error
//     envelope's for errors); an XML success has the root <Action>Response and the fields
//     the schema requires (XML leaves are all strings, so types are not checked).
//
// An action the document does not define (InvalidAction.NotFound) is checked for the
// envelope and the error row only. Compiled schemas are cached per action and status, and
// the body is decoded once (schemas are checked against the decoded value).
func (s *Spec) CheckResponse(action string, status int, header http.Header, body []byte) *Response {
	r := &Response{Action: action, Status: status, Format: acs.JSON}
	ct := header.Get("Content-Type")
	media, _, _ := strings.Cut(strings.ToLower(ct), ";")
	switch strings.TrimSpace(media) {
	case "application/json":
	case "text/xml", "application/xml":
		r.Format = acs.XML
		if ct != acs.ContentTypeXML {
			r.problem("content type = %q, want %q", ct, acs.ContentTypeXML)
		}
	default:
		r.problem("content type = %q, want application/json or %q", ct, acs.ContentTypeXML)
		if b := strings.TrimSpace(string(body)); strings.HasPrefix(b, "<") {
			r.Format = acs.XML
		}
	}
	decoded, err := acs.DecodeBody(string(r.Format), body)
	if err != nil {
		r.problem("body does not decode as %s: %v", r.Format, err)
	} else {
		r.Root, r.Fields = decoded.Root, decoded.Fields
	}
	op := s.ops[action]
	switch {
	case status == http.StatusOK:
	case status >= 400 && errorStatuses()[status]:
	default:
		r.problem("status = %d, want 200 or the status of an error row", status)
	}
	if status >= 400 {
		s.checkError(r)
	}
	if r.Fields == nil {
		return r
	}
	if r.Format == acs.XML {
		if status < 400 && op != nil {
			if want := action + "Response"; r.Root != want {
				r.problem("XML root = %q, want %q", r.Root, want)
			}
			if sc := s.responseSchema(op, status); sc != nil {
				for _, name := range sc.Required {
					if _, ok := r.Fields[name]; !ok {
						r.problem("response lacks the required field %q", name)
					}
				}
			}
		}
		return r
	}
	var sc *openapi3.Schema
	if op != nil {
		sc = s.responseSchema(op, status)
	} else if status >= 400 {
		sc = s.errorSchema()
	}
	if sc != nil {
		if err := sc.VisitJSON(r.Fields, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
			r.problem("body does not match the schema: %s", schemaErrors(err))
		}
	}
	return r
}

// checkError checks an error response's envelope, code and message.
func (s *Spec) checkError(r *Response) {
	if r.Fields == nil {
		return
	}
	if r.Format == acs.XML && r.Root != "Error" {
		r.problem("XML error root = %q, want \"Error\"", r.Root)
	}
	get := func(k string) string { // the lower-case keys the SDK also reads (the schema flags them)
		for _, key := range [2]string{k, strings.ToLower(k[:1]) + k[1:]} {
			if v, ok := r.Fields[key]; ok && v != nil {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	r.Code, r.Message, r.RequestID = get("Code"), get("Message"), get("RequestId")
	if r.Code == "" || r.Message == "" || r.RequestID == "" {
		r.problem("error envelope lacks Code, Message or RequestId (Code %q, Message %q, RequestId %q)", r.Code, r.Message, r.RequestID)
		if r.Code == "" {
			return
		}
	}
	known, drift := false, true
	for _, c := range Lookup(r.Code) {
		known = true
		if c.Status() == r.Status {
			r.Rows = append(r.Rows, c)
			if c.Matches(r.Message) {
				drift = false
			}
		}
	}
	for _, v := range s.variants {
		if v.Code != r.Code {
			continue
		}
		known = true
		if v.Status == r.Status {
			row := CodeByID(v.ID)
			if !containsCode(r.Rows, row) {
				r.Rows = append(r.Rows, row)
			}
			if v.Matches(r.Message) {
				drift = false
			}
		}
	}
	switch {
	case !known:
		r.problem("error code %q is in no row of the error table", r.Code)
	case len(r.Rows) == 0:
		r.problem("error code %q with status %d: no row or variant has that status", r.Code, r.Status)
	case drift:
		r.Problems = append(r.Problems, fmt.Errorf("%w: %s %q is neither the message of %s nor of a known variant",
			ErrMessageDrift, r.Code, r.Message, rowIDs(r.Rows)))
	}
}

func containsCode(list []*Code, c *Code) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

func rowIDs(rows []*Code) string {
	ids := make([]string, len(rows))
	for i, c := range rows {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

// schemaErrors renders a schema validation error as "at /Pointer: reason" items, without
// kin-openapi's dump of the whole schema and value.
func schemaErrors(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		parts := make([]string, len(me))
		for i, e := range me {
			parts[i] = schemaErrors(e)
		}
		return strings.Join(parts, "; ")
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return "at /" + strings.Join(se.JSONPointer(), "/") + ": " + se.Reason
	}
	return err.Error()
}

// errorStatuses is the set of statuses the error rows use.
var errorStatuses = sync.OnceValue(func() map[int]bool {
	out := map[int]bool{}
	for _, c := range codes {
		out[c.Status()] = true
	}
	return out
})

// schemaKey names a cached response schema.
type schemaKey struct {
	action string
	status int
}

// responseSchema is the JSON schema op documents for status (its default response when
// the status has none), cached; nil when there is none.
func (s *Spec) responseSchema(op *Operation, status int) *openapi3.Schema {
	key := schemaKey{op.Action, status}
	if v, ok := s.schemas.Load(key); ok {
		return v.(*openapi3.Schema)
	}
	var sc *openapi3.Schema
	if status < 400 {
		status = http.StatusOK // a success with another status is still held to the success schema
	}
	ref := op.Operation.Responses.Status(status)
	if ref == nil {
		ref = op.Operation.Responses.Default()
	}
	if ref != nil && ref.Value != nil {
		if mt := ref.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			sc = mt.Schema.Value
		}
	}
	s.schemas.Store(key, sc)
	return sc
}

// errorSchema is the error envelope's schema (components.responses.Error), or nil.
func (s *Spec) errorSchema() *openapi3.Schema {
	if s.Doc.Components == nil {
		return nil
	}
	ref := s.Doc.Components.Responses["Error"]
	if ref == nil || ref.Value == nil {
		return nil
	}
	if mt := ref.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		return mt.Schema.Value
	}
	return nil
}
