package acs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"
)

// APIVersion is the ECS API version this module targets: spec.Version, copied so the wire
// layer stays free of the OpenAPI loader (TestAPIVersion_MatchesSpec holds the two together).
const APIVersion = "2014-05-26"

// EndpointURL is the one rule for an endpoint given without a scheme: a bare host[:port] is
// https, as the Alibaba Cloud SDKs assume; a URL with a scheme is returned unchanged.
func EndpointURL(endpoint string) string {
	if strings.Contains(endpoint, "://") {
		return endpoint
	}
	return "https://" + endpoint
}

// Signer builds signed requests the way the v7 Go SDK sends them. The zero
// value plus KeyID and Secret is ready: V3, wall clock, random nonces.
type Signer struct {
	KeyID, Secret string
	SecurityToken string // STS token; "" for a plain AccessKey
	// Version selects the scheme: "v3" or "" (ACS3-HMAC-SHA256, the SDK
	// default) or "v1" (HMAC-SHA1, the SDK's SignatureAlgorithm "v2").
	Version string
	// Now is the clock for x-acs-date / Timestamp; nil means time.Now.
	Now func() time.Time
	// Nonce returns a fresh nonce per request; nil means 32 random lower-case
	// hex digits, the SDK's shape.
	Nonce func() string
	// UserAgent replaces the SDK-like default
	// "AlibabaCloud (<GOOS>; <GOARCH>) Golang/<ver> Core/0.01 TeaDSL/2".
	UserAgent string
}

// Call describes one RPC call for Signer.NewRequest.
type Call struct {
	// Endpoint is "scheme://host[:port][/path]"; a bare "host[:port]" means
	// https, the SDK's default protocol.
	Endpoint string
	Action   string
	// APIVersion defaults to APIVersion.
	APIVersion string
	// Params go in the URL query, as the Go SDK puts every parameter.
	Params url.Values
	// Form, when not empty, is sent as an application/x-www-form-urlencoded
	// body, as other SDKs send "form params". V1 signs it with the query; V3
	// covers it by the body hash and signs content-type.
	Form url.Values
	// Format is the Format parameter; "" does what the SDK does: V1 sends
	// "json", V3 sends none (it relies on accept: application/json).
	Format string
	// Method defaults to POST.
	Method string
}

// NewRequest returns a signed request for c, bound to ctx, ready for an
// http.Client. V3: business parameters (and Format if set) in the query,
// headers x-acs-action, x-acs-version, x-acs-credentials-provider
// (static_ak, or static_sts with a token), x-acs-date,
// x-acs-signature-nonce, x-acs-content-sha256, accept: application/json,
// user-agent, Authorization. V1: common and business parameters plus
// Signature in the query, headers x-acs-action, x-acs-version,
// x-acs-credentials-provider and user-agent; no Authorization, no accept.
// In both, Form (if any) is the body.
func (s *Signer) NewRequest(ctx context.Context, c Call) (*http.Request, error) {
	method := strings.ToUpper(c.Method)
	if method == "" {
		method = http.MethodPost
	}
	if len(c.Form) > 0 && (method == http.MethodGet || method == http.MethodHead) {
		return nil, fmt.Errorf("acs: form parameters need a method with a body, not %s", method)
	}
	version := c.APIVersion
	if version == "" {
		version = APIVersion
	}
	u, err := url.Parse(EndpointURL(c.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("acs: endpoint: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("acs: endpoint %q has no host", c.Endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	var body []byte
	if len(c.Form) > 0 {
		body = []byte(c.Form.Encode())
	}
	query := cloneValues(c.Params)
	creds := Credentials{KeyID: s.KeyID, Secret: s.Secret, SecurityToken: s.SecurityToken}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	nonce := s.nonce()

	switch s.Version {
	case "", string(SchemeV3):
		if c.Format != "" {
			query.Set("Format", c.Format)
		}
	case string(SchemeV1):
		query.Set("Action", c.Action)
		query.Set("Version", version)
		if c.Format != "" {
			query.Set("Format", c.Format)
		} else {
			query.Set("Format", "json")
		}
		all := cloneValues(query)
		for k, vs := range c.Form {
			all[k] = append(all[k], vs...)
		}
		SignV1(all, method, creds, now(), nonce)
		for _, k := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion",
			"SignatureNonce", "Timestamp", "SecurityToken", "Signature"} {
			if v, ok := all[k]; ok {
				query[k] = v
			}
		}
	default:
		return nil, fmt.Errorf("acs: unknown signature version %q", s.Version)
	}
	u.RawQuery = query.Encode()

	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("acs: %w", err)
	}
	if len(body) == 0 {
		r.Body, r.GetBody, r.ContentLength = http.NoBody, nil, 0
	} else {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Header.Set(HeaderAction, c.Action)
	r.Header.Set(HeaderVersion, version)
	provider := "static_ak"
	if s.SecurityToken != "" {
		provider = "static_sts"
	}
	r.Header.Set(HeaderCredsProvider, provider)
	ua := s.UserAgent
	if ua == "" {
		ua = "AlibabaCloud (" + runtime.GOOS + "; " + runtime.GOARCH + ") Golang/" +
			strings.TrimPrefix(runtime.Version(), "go") + " Core/0.01 TeaDSL/2"
	}
	r.Header.Set("User-Agent", ua)
	if s.Version != string(SchemeV1) {
		r.Header.Set("Accept", "application/json")
		SignV3(r, body, creds, now(), nonce)
	}
	return r, nil
}

func (s *Signer) nonce() string {
	if s.Nonce != nil {
		return s.Nonce()
	}
	return NewNonce()
}

// NewNonce returns 32 random lower-case hex digits, the SDK's nonce shape.
func NewNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+10)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
