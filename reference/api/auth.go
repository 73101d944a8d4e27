package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// Authentication limits.
const (
	// TimeWindow is how far a request's timestamp may be from the server's wall clock
	// (protocol.md A.4: 15 minutes). A nonce is remembered until its timestamp leaves the window.
	TimeWindow = 15 * time.Minute
	// DefaultNoncesPerAccount is each account's share of the replay cache: the nonces whose
	// timestamps are still inside the window (at most 30 minutes' worth). Past it the account's
	// requests answer Throttling.User until some expire; nothing is ever evicted early, so no
	// flood makes a captured request replayable. 65,536 nonces are a sustained 36 requests per
	// second per account, and at most 65,536 × acs.NonceEntryBytes = 8 MiB of memory per account
	// (in total: that times the number of accounts).
	DefaultNoncesPerAccount = 1 << 16
	// maxEchoedStringToSign caps the server's string to sign quoted in a SignatureDoesNotMatch
	// message (a V1 string to sign grows with the request: a forged megabyte must not come back
	// as three). Longer ones are cut and end in "…". Real ECS: no limit is known.
	maxEchoedStringToSign = 8 << 10
	// MaxV1Bytes bounds query plus body of a V1-signed request. A V1 string to sign covers every
	// parameter, so its cost grows with the request and is paid before the signature is known
	// to be good; V3 signs a hash of the body instead and keeps MaxBodyBytes. SDKs send V1
	// parameters in the query, which MaxQueryBytes already bounds the same way.
	MaxV1Bytes = MaxQueryBytes
)

// WithNoncesPerAccount sets each account's share of the replay cache (default
// DefaultNoncesPerAccount).
func WithNoncesPerAccount(n int) Option {
	return func(h *Handler) { h.nonces = acs.NewNonceCache(n) }
}

// authenticate finds who sent the request and proves it, in this order (the first failing
// check answers; docs/reference.md "Authentication: order of checks"):
//
//  1. shape of the signature (acs.Parse: common parameters or headers only, no string to sign),
//     and a V1 request within MaxV1Bytes (RequestEntityTooLarge);
//  2. the access key exists (InvalidAccessKeyId.NotFound) and is enabled (.Inactive);
//  3. the signature, then for V3 the body hash (SignatureDoesNotMatch, with the server's string
//     to sign in the message as the real gateway puts it);
//  4. the timestamp within TimeWindow (InvalidTimeStamp.Expired);
//  5. STS: a temporary key needs its token (MissingSecurityToken); a token sent is checked
//     (InvalidSecurityToken.*);
//  6. the nonce: unused (SignatureNonceUsed), and the account within its share of the replay
//     cache (Throttling.User).
//
// Only steps 3 onwards cost work in proportion to the request, and only for a key that exists:
// an unknown key or an ill-formed signature is refused after one pass over the bytes.
func (h *Handler) authenticate(r *http.Request, body []byte) (*acs.Auth, Credential, error) {
	auth, err := acs.Parse(r, body)
	if err != nil {
		return nil, Credential{}, authError(err)
	}
	if auth.Scheme == acs.SchemeV1 && len(r.URL.RawQuery)+len(body) > MaxV1Bytes {
		return nil, Credential{}, spec.RequestTooLarge.Err(fmt.Sprintf("%d-byte V1-signed", MaxV1Bytes))
	}
	cred, ok := h.creds.Credential(auth.AccessKeyID)
	if !ok {
		return nil, cred, spec.AccessKeyNotFound.Err()
	}
	if cred.Disabled {
		return nil, cred, spec.AccessKeyInactive.Err()
	}
	if !auth.Verify(cred.Secret) {
		sts := auth.StringToSign()
		if len(sts) > maxEchoedStringToSign {
			sts = sts[:maxEchoedStringToSign] + "…"
		}
		if auth.Scheme == acs.SchemeV1 {
			return nil, cred, spec.SignatureDoesNotMatchV1.ErrWithStringToSign(spec.StringToSignFormV1, sts)
		}
		return nil, cred, spec.SignatureDoesNotMatch.ErrWithStringToSign(spec.StringToSignFormV3, sts)
	}
	now := h.now()
	if d := now.Sub(auth.Timestamp); d > TimeWindow || d < -TimeWindow {
		return nil, cred, spec.TimestampExpired.Err()
	}
	switch {
	case auth.SecurityToken != "":
		if err := h.creds.CheckToken(auth.SecurityToken, auth.AccessKeyID); err != nil {
			return nil, cred, err
		}
	case cred.Temporary:
		// Real STS: a temporary AccessKeyId without its token is refused with MissingSecurityToken
		// (observed on RAM, VOD and OSS; spec ACS-E23), whether or not the token has expired.
		return nil, cred, spec.MissingSecurityToken.Err()
	}
	switch h.nonces.Check(cred.Account, auth.AccessKeyID+"\x00"+auth.Nonce, now, auth.Timestamp.Add(TimeWindow)) {
	case acs.NonceReplayed:
		return nil, cred, spec.SignatureNonceUsed.Err()
	case acs.NonceThrottled:
		return nil, cred, spec.Throttling.Err()
	}
	return auth, cred, nil
}

// gatewayRows finds the error row of a wire code the protocol layer returns: the one row of
// the table with that code and source "gateway". The table stays the one source of codes,
// statuses and messages; TestAuthError_EveryCodeHasARow checks every acs code resolves.
var gatewayRows = func() map[string]*spec.Code {
	rows := map[string]*spec.Code{}
	dup := map[string]bool{}
	for _, c := range spec.Codes() {
		if c.Source != "gateway" {
			continue
		}
		if rows[c.Wire] != nil {
			dup[c.Wire] = true
		}
		rows[c.Wire] = c
	}
	for code := range dup {
		delete(rows, code) // SignatureDoesNotMatch: one row per scheme, chosen by authenticate
	}
	return rows
}()

// authError renders a protocol-layer failure with its row of the error table; MissingParameter
// names the parameter or header.
func authError(err error) error {
	var ae *acs.AuthError
	if !errors.As(err, &ae) || gatewayRows[ae.Code] == nil {
		return spec.IncompleteSignature.Err() // not reached: every acs code has a row
	}
	return gatewayRows[ae.Code].Err(ae.Param)
}
