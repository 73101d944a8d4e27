// Package endpoint opens an ECS endpoint named on the command line, the same way for eic run
// and eic fuzz: one rule for a URL without a scheme (https, as the Alibaba Cloud SDKs and
// acs.Signer assume), a probe that it answers HTTP at all, the reference's control API when a
// token is given, and the account's keys from the environment. It imports internal/acs and
// internal/control only; what a run or a fuzz does with the endpoint is theirs.
package endpoint

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/internal/control"
)

// URL is the base URL of an endpoint given as a URL or a bare host[:port]: acs.EndpointURL (a
// bare host is https), without a trailing slash. It must have a host and no query.
func URL(raw string) (string, error) {
	base := strings.TrimRight(acs.EndpointURL(raw), "/")
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("--endpoint %q: %v", raw, errors.Unwrap(err))
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--endpoint %q: want scheme://host[:port] or host[:port]", raw)
	}
	return base, nil
}

// Endpoint is an endpoint that answered.
type Endpoint struct {
	URL string // base URL, no trailing slash
	// Control is the reference's control API, nil without a token.
	Control *control.Client
}

// Options are how Open reaches the endpoint.
type Options struct {
	// Token is the control API's bearer token ("": no control API).
	Token string
	// Probe carries the probe (GET /); nil: http.DefaultClient. Its timeout bounds the probe.
	Probe *http.Client
	// Control carries the control API's calls; nil: Probe.
	Control *http.Client
}

// Open checks an endpoint answers HTTP (any status) and, with a token, that it is a reference
// server whose control API answers (GET /_reference/health), so a wrong endpoint is refused
// before anything runs. Errors are one line naming the endpoint.
func Open(ctx context.Context, raw string, o Options) (*Endpoint, error) {
	base, err := URL(raw)
	if err != nil {
		return nil, err
	}
	probe := o.Probe
	if probe == nil {
		probe = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return nil, fmt.Errorf("--endpoint %q: %v", raw, err)
	}
	res, err := probe.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		hint := ""
		if !strings.Contains(raw, "://") {
			hint = " (a bare host means https://; write http:// for a plain-HTTP endpoint such as eic serve)"
		}
		return nil, fmt.Errorf("endpoint %s unreachable: %v%s", base, err, hint)
	}
	res.Body.Close()
	ep := &Endpoint{URL: base}
	if o.Token != "" {
		hc := o.Control
		if hc == nil {
			hc = probe
		}
		ep.Control = &control.Client{Base: base, Token: o.Token, HTTP: hc}
		if !ep.Control.Health(ctx) {
			return nil, fmt.Errorf("endpoint %s has no reference control API (GET /_reference/health failed) but --control-token was given", base)
		}
	}
	return ep, nil
}

// Key is an access key of the account under test.
type Key struct {
	ID, Secret    string
	SecurityToken string // "" for a permanent key
}

// EnvKey reads the account's key from ALIBABA_CLOUD_ACCESS_KEY_ID,
// ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN (the SDKs' variables);
// ok is false unless both the ID and the secret are set.
func EnvKey(getenv func(string) string) (k Key, ok bool) {
	k = Key{ID: getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), Secret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken: getenv("ALIBABA_CLOUD_SECURITY_TOKEN")}
	return k, k.ID != "" && k.Secret != ""
}
