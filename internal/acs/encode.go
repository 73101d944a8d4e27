package acs

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unsafe"
)

const upperHex = "0123456789ABCDEF"

// PercentEncode encodes s per RFC 3986 as both signature versions require:
// the unreserved bytes A-Z a-z 0-9 - _ . ~ are kept, every other byte of the
// UTF-8 string (or of an invalid one, byte by byte) becomes %XY with upper-case
// hex. A space is %20, never "+"; "*" is %2A.
func PercentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	writeEncoded(&b, s)
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

type pair struct{ name, value string }

// CanonicalQuery returns the canonical query string shared by both signature
// versions: pairs sorted by decoded name, then decoded value (byte order),
// name and value each PercentEncoded, joined as name=value with "&". An empty
// value renders "name="; no parameters render "". Every value of a repeated
// name is included.
func CanonicalQuery(params url.Values) string {
	return canonicalPairs(params, "")
}

// canonicalPairs implements CanonicalQuery, leaving out the name skip (the
// V1 "Signature" parameter) when it is not empty.
func canonicalPairs(params url.Values, skip string) string {
	return encodePairs(sortedPairs(params, skip))
}

// encodePairs renders sorted pairs as PercentEncode(name)=PercentEncode(value) joined by
// "&", sized first and written in one allocation.
func encodePairs(ps []pair) string {
	n := 0
	for _, p := range ps {
		n += 2 + encodedLen(p.name) + encodedLen(p.value)
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		writeEncoded(&b, p.name)
		b.WriteByte('=')
		writeEncoded(&b, p.value)
	}
	return b.String()
}

// encodedLen is len(PercentEncode(s)).
func encodedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n += 2
		}
	}
	return n
}

// writeEncoded writes PercentEncode(s).
func writeEncoded(b *strings.Builder, s string) { writeEscaped(b, s, "%") }

// writeEscaped writes s with each reserved byte as pct followed by its two upper-case hex
// digits: "%" for PercentEncode, "%25" for PercentEncode applied twice.
func writeEscaped(b *strings.Builder, s, pct string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteString(pct)
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}

// comparePairs orders pairs by name, then value.
func comparePairs(a, b pair) int {
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return strings.Compare(a.value, b.value)
}

func sortedPairs(params url.Values, skip string) []pair {
	n := 0
	for k, vs := range params {
		if skip != "" && k == skip {
			continue
		}
		n += len(vs)
	}
	if n == 0 {
		return nil
	}
	ps := make([]pair, 0, n)
	for k, vs := range params {
		if skip != "" && k == skip {
			continue
		}
		for _, v := range vs {
			ps = append(ps, pair{k, v})
		}
	}
	slices.SortFunc(ps, comparePairs)
	return ps
}

// CanonicalQueryString parses a raw, form-encoded query ("+" is a space) and
// returns its CanonicalQuery. Malformed pairs (bad %-escapes, a literal ";")
// are left out exactly as url.ParseQuery and http.Request.ParseForm leave them
// out, so the signature covers precisely the parameters a handler sees; the
// parse error, if any, is returned alongside the canonical form of the rest.
func CanonicalQueryString(rawQuery string) (string, error) {
	n := strings.Count(rawQuery, "&") + 1
	if n > 1000 { // url.ParseQuery's own limits and errors apply as they are
		v, err := url.ParseQuery(rawQuery)
		return CanonicalQuery(v), err
	}
	// The pairs straight from the query, without url.Values' map: the same pairs and the
	// same error as url.ParseQuery.
	ps := make([]pair, 0, n)
	var err error
	for query := rawQuery; query != ""; {
		var key string
		key, query, _ = strings.Cut(query, "&")
		if strings.Contains(key, ";") {
			err = errors.New("invalid semicolon separator in query")
			continue
		}
		if key == "" {
			continue
		}
		key, value, _ := strings.Cut(key, "=")
		key, err1 := unescapeQuery(key)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		if value, err1 = unescapeQuery(value); err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		ps = append(ps, pair{key, value})
	}
	slices.SortFunc(ps, comparePairs)
	return encodePairs(ps), err
}

// unescapeQuery is url.QueryUnescape without its allocation when there is nothing to
// unescape.
func unescapeQuery(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// RequestParams returns the request parameters an RPC server acts on: the
// URL query plus, when the Content-Type is application/x-www-form-urlencoded,
// the form-encoded body (already read by the caller). Values of a name present
// in both are concatenated, query first. V1 signatures are computed over this
// union; V3 signs the query directly and the body through its hash.
// Malformed pairs are skipped; the first parse error is returned with the
// usable rest.
func RequestParams(r *http.Request, body []byte) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if !isForm(r.Header.Get("Content-Type")) || len(body) == 0 {
		return params, err
	}
	form, ferr := url.ParseQuery(string(body))
	for k, vs := range form {
		params[k] = append(params[k], vs...)
	}
	if err == nil {
		err = ferr
	}
	return params, err
}

func isForm(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// PeekParams decodes only the named parameters of a request, the first value
// of each, from the query and then a form body, exactly as RequestParams
// would (pairs it would skip are skipped), without decoding the others: its
// cost is one pass over the bytes, whatever the number of parameters. The
// server uses it to find the AccessKeyId and the response Format before it
// spends anything on an unauthenticated request.
func PeekParams(r *http.Request, body []byte, names ...string) url.Values {
	out := make(url.Values, len(names))
	peekQuery(r.URL.RawQuery, names, out)
	if isForm(r.Header.Get("Content-Type")) && len(body) > 0 && len(out) < len(names) {
		// No copy of a body that may be a megabyte: body is only read, and the values kept
		// are cloned before it could change.
		peekQuery(unsafe.String(&body[0], len(body)), names, out)
		for _, vs := range out {
			vs[0] = strings.Clone(vs[0])
		}
	}
	return out
}

// peekQuery follows url.ParseQuery pair by pair, keeping the first value of
// each wanted name not yet in out.
func peekQuery(query string, names []string, out url.Values) {
	for query != "" && len(out) < len(names) {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key := rawKey
		if strings.ContainsAny(rawKey, "%+") {
			k, err := url.QueryUnescape(rawKey)
			if err != nil {
				continue
			}
			key = k
		}
		if !slices.Contains(names, key) {
			continue
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			continue
		}
		if _, seen := out[key]; !seen {
			out[key] = []string{value}
		}
	}
}

// CountParams is an upper bound of the number of parameters RequestParams
// would decode (pairs of the query and of a form body), counted without
// decoding any.
func CountParams(r *http.Request, body []byte) int {
	n := strings.Count(r.URL.RawQuery, "&") + 1
	if isForm(r.Header.Get("Content-Type")) && len(body) > 0 {
		n += bytes.Count(body, []byte("&")) + 1
	}
	return n
}
