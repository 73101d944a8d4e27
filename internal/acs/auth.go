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
// returned by ParseV3, ParseV1 and Parse. Parsing checks only the shape and
// costs little whatever the request's size: the string to sign is built, and
// the body hashed, only by Verify. So the caller looks AccessKeyID up in its
// account store first (refusing an unknown key cheaply), then calls Verify
// with the secret, then applies its own time-window check on Timestamp and
// replay check on (AccessKeyID, Nonce), e.g. with NonceCache.
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

	signature    string        // as sent; lower-cased hex for V3, base64 for V1
	buildSTS     func() string // the server's string to sign, built on first use
	stringToSign string
	built        bool
	body         []byte // V3: checked against contentHash after the signature
	contentHash  string // V3: x-acs-content-sha256 as sent (and signed)
}

// StringToSign is the server-side string to sign, for diagnostics ("server
// string to sign is: ..."). It is built on the first call (linear in the
// request's parameters) and kept.
func (a *Auth) StringToSign() string {
	if !a.built {
		a.stringToSign, a.built = a.buildSTS(), true
	}
	return a.stringToSign
}

// Verify reports whether the signature sent matches the one computed from
// secret, and for V3 whether the body is the one x-acs-content-sha256 names
// (checked only once the signature holds, so an unauthenticated request never
// gets its body hashed). The comparison is constant-time.
func (a *Auth) Verify(secret string) bool {
	var want string
	switch a.Scheme {
	case SchemeV3:
		want = SignatureV3(secret, a.StringToSign())
	case SchemeV1:
		want = SignatureV1(secret, a.StringToSign())
	default:
		return false
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return false
	}
	return a.Scheme != SchemeV3 || !hashMismatch(a.contentHash, HashPayload(a.body))
}

// Check is Verify returning nil or an *AuthError with
// CodeSignatureDoesNotMatch and the server's StringToSign.
func (a *Auth) Check(secret string) error {
	if a.Verify(secret) {
		return nil
	}
	return &AuthError{Code: CodeSignatureDoesNotMatch, StringToSign: a.StringToSign(),
		Detail: "signature or body hash does not match the server's calculation"}
}

// Parse reads the authentication of a request of either scheme: a request
// carrying an Authorization header, or any x-acs-signature-nonce / x-acs-date
// header, is treated as V3 (ParseV3); any other as V1 (ParseV1). body is the
// request body already read by the caller. For V1 only the common parameters
// are decoded here (PeekParams); the whole of the query and form body is
// decoded when the string to sign is built. Every failure is an *AuthError.
func Parse(r *http.Request, body []byte) (*Auth, error) {
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-Acs-Signature-Nonce") != "" ||
		r.Header.Get("X-Acs-Date") != "" {
		return ParseV3(r, body)
	}
	a, err := ParseV1(PeekParams(r, body, v1CommonParams...), r.Method)
	if err != nil {
		return nil, err
	}
	a.buildSTS = func() string {
		// A malformed pair is simply absent from the signed set, as it is
		// absent from what the handler sees; the signature then decides.
		params, _ := RequestParams(r, body)
		return StringToSignV1(r.Method, params)
	}
	return a, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	return t.UTC(), err
}
