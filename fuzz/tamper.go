package fuzz

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// Tampers are the ways a request can be spoiled on the wire after (or while) it is signed,
// each with the refusal the documents prescribe (protocol.md, the ACS-E rows of the error
// table). Request.Tamper names one; "" sends the request as the SDK would.
var Tampers = []string{
	TamperSignatureByte, TamperDate, TamperNonce, TamperSignedHeader, TamperReplay,
	TamperStaleTimestamp, TamperFutureTimestamp, TamperTimestampFormat, TamperNoSignature,
	TamperNoTimestamp, TamperUnsignedHeader, TamperVersion, TamperNoAction, TamperMethod,
	TamperPath, TamperBogusToken, TamperForeignToken, TamperExpiredToken, TamperMissingToken,
}

const (
	TamperSignatureByte   = "signature-byte"   // one character of the signature changed
	TamperDate            = "date"             // the signed date moved by a second after signing
	TamperNonce           = "nonce"            // the signed nonce changed after signing
	TamperSignedHeader    = "signed-header"    // a signed header (V3) or parameter (V1) changed after signing
	TamperReplay          = "replay"           // the nonce of an earlier request of the same key, resent
	TamperStaleTimestamp  = "stale-timestamp"  // signed 20 minutes in the past
	TamperFutureTimestamp = "future-timestamp" // signed 20 minutes ahead
	TamperTimestampFormat = "timestamp-format" // a date that is not yyyy-MM-ddTHH:mm:ssZ
	TamperNoSignature     = "no-signature"     // the signature left out
	TamperNoTimestamp     = "no-timestamp"     // the date left out
	TamperUnsignedHeader  = "unsigned-header"  // an x-acs- header that is not signed (V3), an unknown SignatureMethod (V1)
	TamperVersion         = "version"          // signed for API version 2014-05-27
	TamperNoAction        = "no-action"        // signed without an action
	TamperMethod          = "method"           // sent with PUT
	TamperPath            = "path"             // sent to /eic instead of /
	TamperBogusToken      = "bogus-token"      // an STS token the endpoint never issued
	TamperForeignToken    = "foreign-token"    // an STS token issued for another access key (needs the control API)
	TamperExpiredToken    = "expired-token"    // STS credentials past their expiry (needs the control API; moves its clock 1 s)
	TamperMissingToken    = "missing-token"    // a temporary (STS) key sent without its token (needs the control API)
)

// canSend reports whether g may generate tamper t: the STS tampers need the control API, and
// an expired token a virtual clock to move past its expiry.
func (g *Generator) canSend(t string) bool {
	switch t {
	case TamperForeignToken:
		return g.ControlAPI
	case TamperExpiredToken:
		return g.ControlAPI && g.VirtualClock
	case TamperMissingToken:
		return g.ControlAPI
	}
	return true
}

// tamperEarly: checks the reference's pipeline makes before it parses the parameters.
func tamperEarly(t string) *spec.Code {
	switch t {
	case TamperPath:
		return spec.ActionNotFound
	case TamperMethod:
		return spec.UnsupportedHTTPMethod
	}
	return nil
}

// tamperParse: refusals of the signature's shape, before the access key is looked up.
// #12 may give V1 its own MissingSignature/MissingTimestamp rows; any row of those codes is
// accepted too.
func tamperParse(t, scheme string) []*spec.Code {
	switch t {
	case TamperTimestampFormat:
		return []*spec.Code{spec.TimestampFormat}
	case TamperNoSignature:
		return append([]*spec.Code{spec.IncompleteSignature}, spec.Lookup("MissingSignature")...)
	case TamperNoTimestamp:
		return append([]*spec.Code{spec.MissingCommonParameter}, spec.Lookup("MissingTimestamp")...)
	case TamperUnsignedHeader:
		return []*spec.Code{spec.IncompleteSignature}
	}
	return nil
}

// tamperVerify: refusals after the key is known, in the pipeline's order: the signature,
// the time window, the STS token, the nonce.
func tamperVerify(t, scheme string) []*spec.Code {
	mismatch := spec.SignatureDoesNotMatch
	if scheme == "v1" {
		mismatch = spec.SignatureDoesNotMatchV1
	}
	switch t {
	case TamperSignatureByte, TamperDate, TamperNonce, TamperSignedHeader:
		return []*spec.Code{mismatch}
	case TamperStaleTimestamp, TamperFutureTimestamp:
		return []*spec.Code{spec.TimestampExpired}
	case TamperBogusToken:
		return []*spec.Code{spec.SecurityTokenMalformed}
	case TamperForeignToken:
		return []*spec.Code{spec.SecurityTokenMismatch}
	case TamperExpiredToken:
		return []*spec.Code{spec.SecurityTokenExpired}
	case TamperMissingToken:
		return []*spec.Code{spec.MissingSecurityToken}
	case TamperReplay:
		return []*spec.Code{spec.SignatureNonceUsed}
	}
	return nil
}

// tamperAction: refusals of Action and Version, which the pipeline checks after it has
// decoded the parameters (a repeated or non-UTF-8 parameter wins over a wrong Version).
func tamperAction(t string) []*spec.Code {
	switch t {
	case TamperNoAction:
		return []*spec.Code{spec.MissingCommonParameter}
	case TamperVersion:
		return []*spec.Code{spec.InvalidVersion}
	}
	return nil
}

// signedRequest builds the wire request of req, signed with k and spoiled as req.Tamper
// says. Replay first sends a harmless DescribeTasks with the nonce it then reuses.
func (s *Session) signedRequest(ctx context.Context, req Request, k Key) (*http.Request, error) {
	scheme := req.scheme(s.Signature)
	signer := acs.Signer{KeyID: k.ID, Secret: k.Secret, Version: scheme}
	call := acs.Call{Endpoint: s.Endpoint, Action: req.Action, Params: req.Values()}
	switch req.Tamper {
	case TamperStaleTimestamp:
		signer.Now = func() time.Time { return time.Now().Add(-20 * time.Minute) }
	case TamperFutureTimestamp:
		signer.Now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	case TamperVersion:
		call.APIVersion = "2014-05-27"
	case TamperNoAction:
		call.Action = ""
	case TamperMethod:
		call.Method = http.MethodPut
	case TamperBogusToken:
		signer.SecurityToken = "eic-fuzz-no-such-token"
	case TamperForeignToken:
		if s.Control == nil {
			return nil, errorf("tamper %s needs the control API", req.Tamper)
		}
		c, err := s.Control.STS(ctx, "other", time.Hour)
		if err != nil {
			return nil, err
		}
		signer.SecurityToken = c.SecurityToken
	case TamperExpiredToken, TamperMissingToken:
		if s.World.Accounts[req.Account] == nil {
			break // an unknown or disabled key is refused before any token is looked at
		}
		if s.Control == nil {
			return nil, errorf("tamper %s needs the control API", req.Tamper)
		}
		ttl := time.Hour
		if req.Tamper == TamperExpiredToken {
			ttl = time.Second
		}
		c, err := s.Control.STS(ctx, req.Account, ttl)
		if err != nil {
			return nil, err
		}
		signer.KeyID, signer.Secret = c.AccessKeyID, c.AccessKeySecret
		if req.Tamper == TamperMissingToken {
			break // the token left out
		}
		signer.SecurityToken = c.SecurityToken
		now, err := s.Control.Advance(ctx, time.Second) // past the token's expiry
		if err != nil {
			return nil, err
		}
		s.State.Now = now
	case TamperReplay:
		nonce := acs.NewNonce()
		signer.Nonce = func() string { return nonce }
		prime, err := signer.NewRequest(ctx, acs.Call{Endpoint: s.Endpoint, Action: "DescribeTasks",
			Params: map[string][]string{"RegionId": {"cn-hangzhou"}}})
		if err != nil {
			return nil, err
		}
		if x := do(s.Transport, prime); x.Err != nil {
			return nil, errorf("replay: first request: %w", x.Err)
		}
	}
	r, err := signer.NewRequest(ctx, call)
	if err != nil {
		return nil, err
	}
	v1 := scheme == "v1"
	setParam := func(name, value string) {
		q := r.URL.Query()
		if value == "" {
			q.Del(name)
		} else {
			q.Set(name, value)
		}
		r.URL.RawQuery = q.Encode()
	}
	switch req.Tamper {
	case TamperSignatureByte:
		if v1 {
			sig := r.URL.Query().Get("Signature")
			setParam("Signature", flipChar(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
		} else {
			a := r.Header.Get("Authorization")
			i := strings.LastIndex(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+flipChar(a[i:], "0123456789abcdef"))
		}
	case TamperDate:
		if v1 {
			setParam("Timestamp", shiftTime(r.URL.Query().Get("Timestamp")))
		} else {
			r.Header.Set(acs.HeaderDate, shiftTime(r.Header.Get(acs.HeaderDate)))
		}
	case TamperNonce:
		if v1 {
			setParam("SignatureNonce", acs.NewNonce())
		} else {
			r.Header.Set(acs.HeaderNonce, acs.NewNonce())
		}
	case TamperSignedHeader:
		if v1 {
			setParam("Version", "2014-05-27")
		} else {
			r.Header.Set(acs.HeaderVersion, "2014-05-27")
		}
	case TamperTimestampFormat:
		if v1 {
			setParam("Timestamp", "2026-01-05 00:00:00")
		} else {
			r.Header.Set(acs.HeaderDate, "2026-01-05 00:00:00")
		}
	case TamperNoSignature:
		if v1 {
			setParam("Signature", "")
		} else {
			r.Header.Del("Authorization")
		}
	case TamperNoTimestamp:
		if v1 {
			setParam("Timestamp", "")
		} else {
			r.Header.Del(acs.HeaderDate)
		}
	case TamperUnsignedHeader:
		if v1 {
			setParam("SignatureMethod", "HMAC-SHA256")
		} else {
			r.Header.Set("x-acs-eic-unsigned", "1")
		}
	case TamperPath:
		r.URL.Path = "/eic"
	}
	return r, nil
}

// flipChar replaces the last character of s by another one of alphabet.
func flipChar(s, alphabet string) string {
	if s == "" {
		return alphabet[:1]
	}
	last := s[len(s)-1]
	i := strings.IndexByte(alphabet, last)
	return s[:len(s)-1] + string(alphabet[(i+1)%len(alphabet)])
}

// shiftTime moves a signed date by one second (still well formed and within the window).
func shiftTime(s string) string {
	t, err := time.Parse(acs.TimeLayout, s)
	if err != nil {
		return s + "x"
	}
	return t.Add(time.Second).Format(acs.TimeLayout)
}
