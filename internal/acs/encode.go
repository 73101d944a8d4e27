package acs

import (
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
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
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
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
	n := 0
	for k, vs := range params {
		if skip != "" && k == skip {
			continue
		}
		n += len(vs)
	}
	if n == 0 {
		return ""
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
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].name != ps[j].name {
			return ps[i].name < ps[j].name
		}
		return ps[i].value < ps[j].value
	})
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(PercentEncode(p.name))
		b.WriteByte('=')
		b.WriteString(PercentEncode(p.value))
	}
	return b.String()
}

// CanonicalQueryString parses a raw, form-encoded query ("+" is a space) and
// returns its CanonicalQuery. Malformed pairs (bad %-escapes, a literal ";")
// are left out exactly as url.ParseQuery and http.Request.ParseForm leave them
// out, so the signature covers precisely the parameters a handler sees; the
// parse error, if any, is returned alongside the canonical form of the rest.
func CanonicalQueryString(rawQuery string) (string, error) {
	v, err := url.ParseQuery(rawQuery)
	return CanonicalQuery(v), err
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
