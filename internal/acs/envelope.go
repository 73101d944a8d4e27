package acs

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Format is a response body format.
type Format string

const (
	JSON Format = "JSON"
	XML  Format = "XML"
)

// Content types as real ECS sends them. The Go SDK parses an error body as
// XML only when the content type is exactly ContentTypeXML.
const (
	ContentTypeJSON = "application/json;charset=utf-8"
	ContentTypeXML  = "text/xml;charset=utf-8"
)

// XMLHeader starts every XML body.
const XMLHeader = `<?xml version="1.0" encoding="UTF-8"?>`

// ContentType returns the Content-Type for f.
func (f Format) ContentType() string {
	if f == XML {
		return ContentTypeXML
	}
	return ContentTypeJSON
}

// ResponseFormat decides the response format of a request. The rule:
//
//  1. a Format parameter equal to "json" or "xml", in any case, wins
//     (the V1 SDK sends Format=json);
//  2. otherwise an Accept header naming application/json (the V3 SDK sends
//     accept: application/json) gives JSON, one naming application/xml or
//     text/xml gives XML (json checked first);
//  3. otherwise XML, the documented default of the V1 protocol — so a bare
//     curl ("Accept: */*", no Format) gets XML.
//
// An unknown Format value (e.g. "yaml") is ignored, as if absent.
func ResponseFormat(format, accept string) Format {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "json":
		return JSON
	case "xml":
		return XML
	}
	a := strings.ToLower(accept)
	switch {
	case strings.Contains(a, "application/json"):
		return JSON
	case strings.Contains(a, "application/xml"), strings.Contains(a, "text/xml"):
		return XML
	}
	return XML
}

// ErrorEnvelope is the body of every error response. JSON keys and XML
// children appear in this order: RequestId, HostId, Code, Message, Recommend.
type ErrorEnvelope struct {
	XMLName   xml.Name `json:"-" xml:"Error"`
	RequestId string   `json:"RequestId" xml:"RequestId"`
	HostId    string   `json:"HostId" xml:"HostId"`
	Code      string   `json:"Code" xml:"Code"`
	Message   string   `json:"Message" xml:"Message"`
	Recommend string   `json:"Recommend,omitempty" xml:"Recommend,omitempty"`
}

// RecommendProduct is the product name ECS puts in Recommend URLs.
const RecommendProduct = "Ecs"

// RecommendURL is the troubleshooting link of an error:
// https://api.aliyun.com/troubleshoot?q=<code>&product=<product>&requestId=<requestID>
// (code, product and request id query-escaped; they are normally plain).
func RecommendURL(code, product, requestID string) string {
	return "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code) +
		"&product=" + url.QueryEscape(product) + "&requestId=" + url.QueryEscape(requestID)
}

// NewErrorEnvelope fills an envelope, Recommend included (product Ecs).
func NewErrorEnvelope(requestID, hostID, code, message string) ErrorEnvelope {
	return ErrorEnvelope{RequestId: requestID, HostId: hostID, Code: code, Message: message,
		Recommend: RecommendURL(code, RecommendProduct, requestID)}
}

// Render returns the envelope as a body of format f and its content type.
// JSON is compact with HTML escaping off ("&" stays "&", like ECS); XML is
// XMLHeader + <Error>...</Error>.
func (e ErrorEnvelope) Render(f Format) (body []byte, contentType string) {
	if f == XML {
		out, err := xml.Marshal(e)
		if err != nil { // only string fields: cannot fail
			panic(err)
		}
		return append([]byte(XMLHeader), out...), ContentTypeXML
	}
	out, err := marshalJSON(e)
	if err != nil {
		panic(err)
	}
	return out, ContentTypeJSON
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// RenderSuccess renders the success body of action from v, any value
// encoding/json accepts (structs with json tags, maps, slices, scalars) whose
// JSON form is an object. JSON: that object, compact, HTML escaping off.
// XML: XMLHeader + <{action}Response> with one child per key in JSON order
// (struct field order, map keys sorted); an array under key K becomes
// repeated <K> elements, so TaskSet: {Task: [a, b]} renders
// <TaskSet><Task>a</Task><Task>b</Task></TaskSet> and an empty array renders
// nothing; null values are left out; numbers and booleans keep their JSON
// text. A key that is not a valid XML name is an error.
func RenderSuccess(f Format, action string, v any) (body []byte, contentType string, err error) {
	js, err := marshalJSON(v)
	if err != nil {
		return nil, "", fmt.Errorf("acs: render %s: %w", action, err)
	}
	if f != XML {
		if len(js) == 0 || js[0] != '{' {
			return nil, "", fmt.Errorf("acs: render %s: body is not an object", action)
		}
		return js, ContentTypeJSON, nil
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, "", fmt.Errorf("acs: render %s: %w", action, err)
	}
	if tok != json.Delim('{') {
		return nil, "", fmt.Errorf("acs: render %s: body is not an object", action)
	}
	root := action + "Response"
	if !xmlName(root) {
		return nil, "", fmt.Errorf("acs: render: %q is not an XML name", root)
	}
	var b bytes.Buffer
	b.WriteString(XMLHeader)
	b.WriteString("<" + root + ">")
	if err := xmlObject(&b, dec); err != nil {
		return nil, "", fmt.Errorf("acs: render %s: %w", action, err)
	}
	b.WriteString("</" + root + ">")
	return b.Bytes(), ContentTypeXML, nil
}

// xmlObject writes the members of an object whose '{' was consumed.
func xmlObject(b *bytes.Buffer, dec *json.Decoder) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		if !xmlName(key) {
			return fmt.Errorf("key %q is not an XML name", key)
		}
		if err := xmlValue(b, dec, key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// xmlValue writes the next value as <name>...</name>; an array as repeated
// <name> elements.
func xmlValue(b *bytes.Buffer, dec *json.Decoder, name string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			for dec.More() {
				if err := xmlValue(b, dec, name); err != nil {
					return err
				}
			}
			_, err := dec.Token() // ']'
			return err
		}
		b.WriteString("<" + name + ">")
		if err := xmlObject(b, dec); err != nil {
			return err
		}
	case nil:
		return nil
	case string:
		b.WriteString("<" + name + ">")
		if err := xml.EscapeText(b, []byte(t)); err != nil {
			return err
		}
	case json.Number:
		b.WriteString("<" + name + ">" + t.String())
	case bool:
		b.WriteString("<" + name + ">" + fmt.Sprint(t))
	}
	b.WriteString("</" + name + ">")
	return nil
}

// xmlName is a conservative XML element name check (ASCII letters, digits,
// '_', '-', '.'; not starting with a digit, '-', '.' or "xml").
func xmlName(s string) bool {
	if s == "" || len(s) >= 3 && strings.EqualFold(s[:3], "xml") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', c == '_':
		case '0' <= c && c <= '9', c == '-', c == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Body is a decoded response body in a format-neutral shape.
type Body struct {
	Format Format
	// Root is the XML root element name ("ExportImageResponse", "Error");
	// "" for JSON.
	Root string
	// Fields holds the object (JSON) or the root's children (XML). JSON
	// values are as encoding/json decodes them with UseNumber (numbers are
	// json.Number). XML leaves are strings; an element with children is a
	// map[string]any; repeated sibling elements are a []any — so a list of
	// one element is a map, not a slice: read lists with AsList.
	Fields map[string]any
}

// DecodeBody parses a response body as JSON or XML. The format comes from
// contentType when it names json or xml, else from the first non-space
// byte ('<' is XML). An empty body decodes to empty Fields.
func DecodeBody(contentType string, body []byte) (*Body, error) {
	trimmed := bytes.TrimSpace(body)
	ct := strings.ToLower(contentType)
	f := JSON
	switch {
	case strings.Contains(ct, "json"):
	case strings.Contains(ct, "xml"):
		f = XML
	case len(trimmed) > 0 && trimmed[0] == '<':
		f = XML
	}
	out := &Body{Format: f, Fields: map[string]any{}}
	if len(trimmed) == 0 {
		return out, nil
	}
	if f == JSON {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&out.Fields); err != nil {
			return nil, fmt.Errorf("acs: decode json body: %w", err)
		}
		return out, nil
	}
	dec := xml.NewDecoder(bytes.NewReader(trimmed))
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("acs: decode xml body: no root element")
			}
			return nil, fmt.Errorf("acs: decode xml body: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			out.Root = se.Name.Local
			v, err := xmlElement(dec)
			if err != nil {
				return nil, fmt.Errorf("acs: decode xml body: %w", err)
			}
			if m, ok := v.(map[string]any); ok {
				out.Fields = m
			}
			return out, nil
		}
	}
}

// xmlElement decodes the content of an element whose start was consumed:
// a map when it has child elements, else its text.
func xmlElement(dec *xml.Decoder) (any, error) {
	var text strings.Builder
	var m map[string]any
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			v, err := xmlElement(dec)
			if err != nil {
				return nil, err
			}
			if m == nil {
				m = map[string]any{}
			}
			k := t.Name.Local
			switch prev := m[k].(type) {
			case nil:
				m[k] = v
			case []any:
				m[k] = append(prev, v)
			default:
				m[k] = []any{prev, v}
			}
		case xml.EndElement:
			if m != nil {
				return m, nil
			}
			return text.String(), nil
		}
	}
}

// AsList reads a list value of a Body: a []any as is, nil (absent, empty
// XML element "") as empty, any other single value as a one-element list.
func AsList(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	case string:
		if t == "" {
			return nil
		}
	}
	return []any{v}
}

// DecodeError parses an error body (JSON or XML, see DecodeBody) into an
// envelope, accepting the lower-case key variants the SDK also reads
// (requestId, hostId, code, message, recommend). It fails when the body does
// not parse or has no Code.
func DecodeError(contentType string, body []byte) (*ErrorEnvelope, error) {
	b, err := DecodeBody(contentType, body)
	if err != nil {
		return nil, err
	}
	get := func(k string) string {
		for _, key := range []string{k, strings.ToLower(k[:1]) + k[1:]} {
			if v, ok := b.Fields[key]; ok && v != nil {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	e := &ErrorEnvelope{RequestId: get("RequestId"), HostId: get("HostId"), Code: get("Code"),
		Message: get("Message"), Recommend: get("Recommend")}
	if e.Code == "" {
		return nil, errors.New("acs: error body has no Code")
	}
	return e, nil
}
