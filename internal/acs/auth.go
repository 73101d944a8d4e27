package acs

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// TimeLayout is the wire form of x-acs-date and of the V1 Timestamp
// parameter: UTC, second precision, literal "Z". When parsing, a fractional
// second after the seconds field is accepted too (Go's time.Parse rule).
const TimeLayout = "2006-01-02T15:04:05Z"

// Scheme names a signature version.
type Scheme string

const (
	SchemeV1 Scheme = "v1" // HMAC-SHA1 query signature
	SchemeV3 Scheme = "v3" // ACS3-HMAC-SHA256 Authorization header
)

// Credentials is what a client signs with. SecurityToken is set only for
// STS credentials.
type Credentials struct {
	KeyID, Secret, SecurityToken string
}

// Auth is the parsed, not yet verified, authentication of one request, as
// returned by ParseV3, ParseV1 and Parse. Parsing checks only the shape;
// the caller looks AccessKeyID up in its account store, calls Verify (or
// Check) with the secret, then applies its own time-window check on
// Timestamp and replay check on (AccessKeyID, Nonce), e.g. with NonceCache.
type Auth struct {
	Scheme        Scheme
	AccessKeyID   string
	SecurityToken string    // x-acs-security-token (V3) or SecurityToken (V1); "" without STS
	Nonce         string    // x-acs-signature-nonce (V3) or SignatureNonce (V1)
	Timestamp     time.Time // x-acs-date (V3) or Timestamp (V1), UTC
	// Action and Version as the signature scheme carries them: the
	// x-acs-action / x-acs-version headers (V3, may be "") or the Action /
	// Version parameters (V1). Their validity is the caller's business.
	Action, Version string
	// StringToSign is the server-side string to sign, for diagnostics
	// ("server string to sign is: ...").
	StringToSign string

	signature string // as sent; lower-cased hex for V3, base64 for V1
}

// Verify reports whether the signature sent matches the one computed from
// secret. The comparison is constant-time.
func (a *Auth) Verify(secret string) bool {
	var want string
	switch a.Scheme {
	case SchemeV3:
		want = SignatureV3(secret, a.StringToSign)
	case SchemeV1:
		want = SignatureV1(secret, a.StringToSign)
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) == 1
}

// Check is Verify returning nil or an *AuthError with
// CodeSignatureDoesNotMatch and the server's StringToSign.
func (a *Auth) Check(secret string) error {
	if a.Verify(secret) {
		return nil
	}
	return &AuthError{Code: CodeSignatureDoesNotMatch, StringToSign: a.StringToSign,
		Detail: "signature does not match the server's calculation"}
}

// Parse authenticates a request of either scheme: a request carrying an
// Authorization header, or any x-acs-signature-nonce / x-acs-date header,
// is treated as V3 (ParseV3); any other as V1 (ParseV1 over RequestParams,
// i.e. query plus form body). body is the request body already read by the
// caller. Every failure is an *AuthError.
func Parse(r *http.Request, body []byte) (*Auth, error) {
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-Acs-Signature-Nonce") != "" ||
		r.Header.Get("X-Acs-Date") != "" {
		return ParseV3(r, body)
	}
	// A malformed pair is simply absent from the signed set, as it is
	// absent from what the handler sees; the signature then decides.
	params, _ := RequestParams(r, body)
	return ParseV1(params, r.Method)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	return t.UTC(), err
}
