package acs

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
	"time"
)

// V1 parameter values.
const (
	SignatureMethodV1  = "HMAC-SHA1"
	SignatureVersionV1 = "1.0"
)

// StringToSignV1 is METHOD + "&%2F&" + PercentEncode(canonical), where
// canonical is the CanonicalQuery of params without "Signature". params is
// the union of query and form-body parameters (RequestParams).
func StringToSignV1(method string, params url.Values) string {
	ps := sortedPairs(params, "Signature")
	method = strings.ToUpper(method)
	n := len(method) + len("&%2F&")
	for _, p := range ps {
		n += len("%26") + encodedTwiceLen(p.name) + len("%3D") + encodedTwiceLen(p.value)
	}
	// One pass, one allocation: PercentEncode(name) "=" PercentEncode(value) pairs joined by
	// "&", then percent-encoded again, written directly (a V1 string to sign is as long as
	// three times the request, and it is built before the signature is known to be good).
	var b strings.Builder
	b.Grow(n)
	b.WriteString(method)
	b.WriteString("&%2F&")
	for i, p := range ps {
		if i > 0 {
			b.WriteString("%26")
		}
		writeEncodedTwice(&b, p.name)
		b.WriteString("%3D")
		writeEncodedTwice(&b, p.value)
	}
	return b.String()
}

// encodedTwiceLen is len(PercentEncode(PercentEncode(s))).
func encodedTwiceLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n += 4 // %XY, its % encoded again as %25
		}
	}
	return n
}

// writeEncodedTwice writes PercentEncode(PercentEncode(s)).
func writeEncodedTwice(b *strings.Builder, s string) { writeEscaped(b, s, "%25") }

// SignatureV1 is base64(HMAC-SHA1(key = secret + "&", stringToSign)).
func SignatureV1(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignV1 adds the V1 signature parameters to params (AccessKeyId,
// SignatureMethod, SignatureVersion, SignatureNonce, Timestamp, SecurityToken
// when set) and then Signature, computed over every parameter in params. The
// caller sets Action, Version, Format and business parameters first, and must
// send exactly params (query, or split between query and form body).
func SignV1(params url.Values, method string, c Credentials, ts time.Time, nonce string) {
	params.Set("AccessKeyId", c.KeyID)
	params.Set("SignatureMethod", SignatureMethodV1)
	params.Set("SignatureVersion", SignatureVersionV1)
	params.Set("SignatureNonce", nonce)
	params.Set("Timestamp", ts.UTC().Format(TimeLayout))
	if c.SecurityToken != "" {
		params.Set("SecurityToken", c.SecurityToken)
	}
	params.Del("Signature")
	params.Set("Signature", SignatureV1(c.Secret, StringToSignV1(method, params)))
}

// ParseV1 reads the V1 authentication from params (query ∪ form body, see
// RequestParams) of a request with the given HTTP method. Checks, in order,
// each failure an *AuthError:
//
//   - Version, AccessKeyId absent → CodeMissingParameter (Param names it);
//     Timestamp absent → CodeMissingTimestamp; not in TimeLayout →
//     CodeInvalidTimeStampFormat; SignatureNonce absent → CodeMissingParameter;
//   - SignatureMethod not "HMAC-SHA1", SignatureVersion not "1.0", a
//     SignatureType (bearer tokens) present → CodeIncompleteSignature;
//     Signature absent → CodeMissingSignature.
//
// Parameter names are case-sensitive; the first value of a repeated common
// parameter is used, but every value is signed.
func ParseV1(params url.Values, method string) (*Auth, error) {
	for _, p := range []string{"Version", "AccessKeyId"} {
		if params.Get(p) == "" {
			return nil, missing(p)
		}
	}
	if params.Get("Timestamp") == "" {
		return nil, &AuthError{Code: CodeMissingTimestamp, Param: "Timestamp", Detail: "required parameter is not supplied"}
	}
	ts, err := parseTime(params.Get("Timestamp"))
	if err != nil {
		return nil, &AuthError{Code: CodeInvalidTimeStampFormat, Param: "Timestamp", Detail: "timestamp is not yyyy-MM-ddTHH:mm:ssZ"}
	}
	if params.Get("SignatureNonce") == "" {
		return nil, missing("SignatureNonce")
	}
	if m := params.Get("SignatureMethod"); m != SignatureMethodV1 {
		return nil, incomplete("unsupported SignatureMethod " + quote(m))
	}
	if v := params.Get("SignatureVersion"); v != SignatureVersionV1 {
		return nil, incomplete("unsupported SignatureVersion " + quote(v))
	}
	if t := params.Get("SignatureType"); t != "" {
		return nil, incomplete("unsupported SignatureType " + quote(t))
	}
	sig := params.Get("Signature")
	if sig == "" {
		return nil, &AuthError{Code: CodeMissingSignature, Param: "Signature", Detail: "required parameter is not supplied"}
	}
	return &Auth{
		Scheme:        SchemeV1,
		AccessKeyID:   params.Get("AccessKeyId"),
		SecurityToken: params.Get("SecurityToken"),
		Nonce:         params.Get("SignatureNonce"),
		Timestamp:     ts,
		Action:        params.Get("Action"),
		Version:       params.Get("Version"),
		signature:     sig,
		buildSTS:      func() string { return StringToSignV1(method, params) },
	}, nil
}

// v1CommonParams are the parameters ParseV1 reads.
var v1CommonParams = []string{"Version", "AccessKeyId", "Timestamp", "SignatureNonce", "SignatureMethod",
	"SignatureVersion", "SignatureType", "Signature", "SecurityToken", "Action"}

func quote(s string) string { return "\"" + s + "\"" }
