// Package errcode is the error table of the API as plain Go values: one Code per row of the
// x-eic-errors extension of spec/openapi.yaml, generated from it (rows_gen.go, go generate
// ./spec), with the Error type that carries a row. It imports nothing but the standard library,
// so the domain (reference/ecs) and the protocol layer can name their errors without loading
// the OpenAPI document; package spec re-exports every name here.
package errcode

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Code is one row of the error table: a wire code with its HTTP status and message template.
// Several rows may share a wire code (MissingParameter, ImageNotSupported); each row is its own
// Code value. A message containing %s is a template the server fills with a detail.
type Code struct {
	ID      string // stable row ID, e.g. "EI-E01"
	Name    string // the Go name of the generated value, e.g. "MissingRegionID"
	Wire    string // wire code, e.g. "MissingParameter"
	Source  string // seed, current-doc, gateway, companion or reference
	Meaning string // what the row means, from the document
	status  int
	message string
}

// Status is the HTTP status the row documents.
func (c *Code) Status() int { return c.status }

// Message is the documented message, verbatim; it may contain %s.
func (c *Code) Message() string { return c.message }

// HasDetail reports whether the message is a template with a server-filled %s.
func (c *Code) HasDetail() bool { return strings.Contains(c.message, "%s") }

// Err returns the error this row describes. A template row takes its detail from args
// (fmt.Sprint of them); a fixed row ignores args.
func (c *Code) Err(args ...any) *Error {
	msg := c.message
	if c.HasDetail() {
		msg = strings.Replace(msg, "%s", fmt.Sprint(args...), 1)
	}
	return &Error{Code: c, Message: msg}
}

// The forms in which the Alibaba API gateway appends its string to sign to a signature
// error's documented sentence (protocol.md I): V1 (and IncompleteSignature) "… server string
// to sign is:POST&%2F&…", V3 "… server StringToSign is [ACS3-HMAC-SHA256\n<hex>]". Each
// holds one %s for the string to sign.
const (
	StringToSignFormV1 = " server string to sign is:%s"
	StringToSignFormV3 = " server StringToSign is [%s]"
)

// ErrWithStringToSign is Err with the server's string to sign appended in form
// (StringToSignFormV1 or StringToSignFormV3), as the real gateway does.
func (c *Code) ErrWithStringToSign(form, stringToSign string) *Error {
	e := c.Err()
	e.Message += strings.Replace(form, "%s", stringToSign, 1)
	return e
}

// Matches reports whether a wire message has this row's shape (see MessageMatches).
func (c *Code) Matches(message string) bool { return MessageMatches(c.message, message) }

// MessageMatches reports whether a wire message has the shape of a documented one: equal to a
// fixed message (or to it followed by a server string to sign in one of the StringToSignForm*
// forms), or the template with any non-empty text in place of %s.
func MessageMatches(documented, message string) bool {
	if !strings.Contains(documented, "%s") {
		if message == documented {
			return true
		}
		rest, ok := strings.CutPrefix(message, documented)
		if !ok {
			return false
		}
		if sts, ok := strings.CutPrefix(rest, " server StringToSign is ["); ok {
			return strings.HasSuffix(sts, "]")
		}
		return strings.HasPrefix(rest, " server string to sign is:")
	}
	return templateRE(documented).MatchString(message)
}

// templates caches the expression of each message template (Matches runs on every answer the
// fuzzer and the suite judge).
var templates sync.Map // template → *regexp.Regexp

// templateRE is the expression matching template with any non-empty text for each %s.
func templateRE(template string) *regexp.Regexp {
	if re, ok := templates.Load(template); ok {
		return re.(*regexp.Regexp)
	}
	parts := strings.Split(template, "%s")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re := regexp.MustCompile("^" + strings.Join(parts, "(?s:.+)") + "$")
	templates.Store(template, re)
	return re
}

// Error is an error value carrying a row of the table and the message actually sent.
type Error struct {
	Code    *Code
	Message string
}

func (e *Error) Error() string { return e.Code.Wire + ": " + e.Message }

// Status is the HTTP status of the row.
func (e *Error) Status() int { return e.Code.status }

// Is matches another *Error of the same row, so errors.Is(err, errcode.InvalidOSSPrefix.Err()) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Codes returns every row of the error table in document order.
func Codes() []*Code { return append([]*Code(nil), codes...) }

// CodeByID returns the row with that ID, or nil.
func CodeByID(id string) *Code {
	for _, c := range codes {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Lookup returns the rows with a wire code (several when the code has several rows).
func Lookup(code string) []*Code {
	var out []*Code
	for _, c := range codes {
		if c.Wire == code {
			out = append(out, c)
		}
	}
	return out
}
