package acs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"
)

// AlgorithmV3 is the only V3 algorithm implemented.
const AlgorithmV3 = "ACS3-HMAC-SHA256"

// EmptyBodySHA256 is the hex SHA-256 of an empty body, the
// x-acs-content-sha256 value of every SDK request without a body.
const EmptyBodySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Header names of the V3 scheme, lower-case as they are signed.
const (
	HeaderAction        = "x-acs-action"
	HeaderVersion       = "x-acs-version"
	HeaderDate          = "x-acs-date"
	HeaderNonce         = "x-acs-signature-nonce"
	HeaderContentSHA256 = "x-acs-content-sha256"
	HeaderSecurityToken = "x-acs-security-token"
	HeaderAccessKeyID   = "x-acs-accesskey-id"
	HeaderCredsProvider = "x-acs-credentials-provider"
)

// HashPayload returns the lower-case hex SHA-256 of body.
func HashPayload(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// CanonicalRequestV3 builds the V3 canonical request of r:
//
//	METHOD \n URI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n payloadHash
//
// The query is r.URL.RawQuery form-decoded then canonicalised
// (CanonicalQueryString); the URI is r.URL's escaped path, "/" when empty.
// signedHeaders must already be lower-case, sorted and unique; each renders
// "name:value\n" with the values of that header trimmed, sorted and joined
// by ","; "host" is r.Host (r.URL.Host when empty).
func CanonicalRequestV3(r *http.Request, signedHeaders []string, payloadHash string) string {
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	cq, _ := CanonicalQueryString(r.URL.RawQuery)
	var b strings.Builder
	b.Grow(512 + len(cq)) // the signed headers of an SDK request take about 450 bytes
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(cq)
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func headerValue(r *http.Request, name string) string {
	if name == "host" {
		if r.Host != "" {
			return strings.TrimSpace(r.Host)
		}
		return strings.TrimSpace(r.URL.Host)
	}
	vs := r.Header.Values(name)
	if len(vs) == 0 {
		vs = r.Header[name] // a map set by hand with a non-canonical key
	}
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return strings.TrimSpace(vs[0])
	}
	t := make([]string, len(vs))
	for i, v := range vs {
		t[i] = strings.TrimSpace(v)
	}
	sort.Strings(t)
	return strings.Join(t, ",")
}

// StringToSignV3 is "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonicalRequest)).
func StringToSignV3(canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return AlgorithmV3 + "\n" + hex.EncodeToString(sum[:])
}

// SignatureV3 is lower-case hex HMAC-SHA256(key = secret, stringToSign).
func SignatureV3(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// SignV3 signs r as the v7 Go SDK does. It sets x-acs-date (date in
// TimeLayout), x-acs-signature-nonce, x-acs-content-sha256 (hash of body,
// which must be the exact bytes r will send), and with a security token
// x-acs-security-token and x-acs-accesskey-id; then signs host, content-type
// when present and every x-acs-* header already on r (so set x-acs-action,
// x-acs-version, x-acs-credentials-provider before calling), and sets
//
//	Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>
func SignV3(r *http.Request, body []byte, c Credentials, date time.Time, nonce string) {
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	payload := HashPayload(body)
	r.Header.Set(HeaderDate, date.UTC().Format(TimeLayout))
	r.Header.Set(HeaderNonce, nonce)
	r.Header.Set(HeaderContentSHA256, payload)
	if c.SecurityToken != "" {
		r.Header.Set(HeaderSecurityToken, c.SecurityToken)
		r.Header.Set(HeaderAccessKeyID, c.KeyID)
	}
	names := []string{"host"}
	for k := range r.Header {
		if isACSHeader(k) || strings.EqualFold(k, "content-type") { // lower-cased only when signed
			names = append(names, strings.ToLower(k))
		}
	}
	names = normalizeNames(names)
	sts := StringToSignV3(CanonicalRequestV3(r, names, payload))
	r.Header.Set("Authorization", AlgorithmV3+" Credential="+c.KeyID+",SignedHeaders="+
		strings.Join(names, ";")+",Signature="+SignatureV3(c.Secret, sts))
}

// normalizeNames lower-cases, sorts and de-duplicates header names in place.
func normalizeNames(names []string) []string {
	for i, n := range names {
		names[i] = strings.ToLower(strings.TrimSpace(n))
	}
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
}

// ParseV3 reads the V3 authentication of a received request; body is the
// request body already read by the caller. Checks, in order, each failure an
// *AuthError:
//
//   - Authorization absent, not "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..",
//     an empty field, an empty or duplicate header name, "host" not signed,
//     or an x-acs-* header present on the request but not signed →
//     CodeIncompleteSignature;
//   - x-acs-date absent → CodeMissingParameter "x-acs-date"; not in
//     TimeLayout → CodeInvalidTimeStampFormat;
//   - x-acs-signature-nonce absent → CodeMissingParameter;
//   - x-acs-content-sha256 absent → CodeMissingParameter.
//
// The canonical headers are exactly the request's SignedHeaders list
// (normalised: lower-case, sorted, unique), never a fixed set. The payload
// hash signed is x-acs-content-sha256 as sent; Verify checks that body has
// that hash once the signature holds (so a forged request never costs a hash
// of its body).
func ParseV3(r *http.Request, body []byte) (*Auth, error) {
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	if authz == "" {
		return nil, incomplete("authorization header is missing")
	}
	alg, rest, ok := strings.Cut(authz, " ")
	if !ok {
		return nil, incomplete("authorization header is ill-formed")
	}
	if alg != AlgorithmV3 {
		return nil, incomplete("unsupported signature algorithm " + alg)
	}
	var cred, signed, sig string
	var seen [3]bool
	for _, field := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return nil, incomplete("authorization field without '='")
		}
		var i int
		switch k {
		case "Credential":
			i, cred = 0, v
		case "SignedHeaders":
			i, signed = 1, v
		case "Signature":
			i, sig = 2, v
		default:
			return nil, incomplete("unknown authorization field " + k)
		}
		if seen[i] {
			return nil, incomplete("duplicate authorization field " + k)
		}
		seen[i] = true
	}
	if cred == "" || signed == "" || sig == "" {
		return nil, incomplete("authorization lacks Credential, SignedHeaders or Signature")
	}
	names := strings.Split(signed, ";")
	n := len(names)
	names = normalizeNames(names)
	if len(names) != n || names[0] == "" {
		return nil, incomplete("signed headers contain an empty or duplicate name")
	}
	if !contains(names, "host") {
		return nil, incomplete("host is not a signed header")
	}
	for k := range r.Header {
		if !isACSHeader(k) {
			continue
		}
		if lk := strings.ToLower(k); !contains(names, lk) {
			return nil, incomplete(lk + " is present but not signed")
		}
	}
	date := r.Header.Get(HeaderDate)
	if date == "" {
		return nil, missing(HeaderDate)
	}
	ts, err := parseTime(date)
	if err != nil {
		return nil, &AuthError{Code: CodeInvalidTimeStampFormat, Param: HeaderDate, Detail: "x-acs-date is not yyyy-MM-ddTHH:mm:ssZ"}
	}
	nonce := r.Header.Get(HeaderNonce)
	if nonce == "" {
		return nil, missing(HeaderNonce)
	}
	sent := r.Header.Get(HeaderContentSHA256)
	if sent == "" {
		return nil, missing(HeaderContentSHA256)
	}
	return &Auth{
		Scheme:        SchemeV3,
		AccessKeyID:   cred,
		SecurityToken: r.Header.Get(HeaderSecurityToken),
		Nonce:         nonce,
		Timestamp:     ts,
		Action:        r.Header.Get(HeaderAction),
		Version:       r.Header.Get(HeaderVersion),
		signature:     strings.ToLower(sig),
		buildSTS:      func() string { return StringToSignV3(CanonicalRequestV3(r, names, sent)) },
		body:          body,
		contentHash:   sent,
	}, nil
}

// isACSHeader reports whether a header name starts with x-acs- in any case.
func isACSHeader(k string) bool {
	return len(k) >= 6 && strings.EqualFold(k[:6], "x-acs-")
}

func contains(sorted []string, s string) bool {
	i := sort.SearchStrings(sorted, s)
	return i < len(sorted) && sorted[i] == s
}

func hashMismatch(sent, want string) bool {
	return !hmac.Equal([]byte(strings.ToLower(sent)), []byte(want))
}
