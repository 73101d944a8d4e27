package steps

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/exportimage/eic/internal/acs"
)

// Sending: every request of a scenario is signed, sent, recorded and validated here.

// send signs and sends one call of action with params, applying and clearing the tweaks,
// records the exchange and validates the response against the spec.
func (w *world) send(ctx context.Context, action string, params url.Values) error {
	t := w.tweak
	w.tweak = tweaks{}
	call := acs.Call{Endpoint: w.cfg.Endpoint, Action: action, Params: params, Format: w.format,
		APIVersion: t.version, Method: t.method}
	signer := w.signer(t)
	req, err := signer.NewRequest(ctx, call)
	if err != nil {
		return w.failf("build request: %v", err)
	}
	t.apply(req)
	return w.exchange(ctx, action, req, nil)
}

// signer signs as the scenario's account, with the signing tweaks of t.
func (w *world) signer(t tweaks) acs.Signer {
	s := acs.Signer{
		KeyID: w.account.AccessKeyID, Secret: w.account.AccessKeySecret,
		SecurityToken: w.account.SecurityToken, Version: w.signature,
		Now: func() time.Time { return w.now().Add(t.timeShift) },
	}
	if t.wrongSecret {
		s.Secret += "x"
	}
	if t.unknownKey {
		s.KeyID = "LTAI5tEicUnknown" + acs.NewNonce()[:8]
	}
	return s
}

// apply makes the changes of t to a signed request: what no correct signer would send. The
// query is re-encoded only when a change touches it (re-encoding may change a signed query).
func (t tweaks) apply(req *http.Request) {
	q, changed := req.URL.Query(), false
	if t.noSignature {
		req.Header.Del("Authorization")
		q.Del("Signature")
		changed = true
	}
	if t.badTime {
		if req.Header.Get(acs.HeaderDate) != "" {
			req.Header.Set(acs.HeaderDate, "2024/01/01 00:00:00")
		}
		if q.Has("Timestamp") {
			q.Set("Timestamp", "2024/01/01 00:00:00")
			changed = true
		}
	}
	if t.dropParam != "" {
		q.Del(t.dropParam)
		req.Header.Del(t.dropParam)
		changed = true
	}
	if changed {
		req.URL.RawQuery = q.Encode()
	}
}

func (w *world) exchange(ctx context.Context, action string, req *http.Request, body []byte) error {
	x := do(ctx, w.cfg.httpClient(), action, req, body)
	w.last = x
	if x.err != nil {
		return w.failf("request failed: %v", x.err)
	}
	if err := x.validate(ctx, w.cfg.spec()); err != nil {
		return w.fail(err)
	}
	return nil
}

// response is the last response, or a failure when no request got one.
func (w *world) response() (*exchange, error) {
	if w.last == nil || w.last.err != nil {
		return nil, w.failf("no response to check")
	}
	return w.last, nil
}

// errorEnvelope decodes the last response as an error.
func (w *world) errorEnvelope() (*acs.ErrorEnvelope, error) {
	x, err := w.response()
	if err != nil {
		return nil, err
	}
	if x.status < 400 {
		return nil, w.failf("status = %d, want an error", x.status)
	}
	env, err := acs.DecodeError(x.header.Get("Content-Type"), x.body)
	if err != nil {
		return nil, w.failf("error body: %v", err)
	}
	return env, nil
}

// body decodes the last response (any status).
func (w *world) body() (*acs.Body, error) {
	x, err := w.response()
	if err != nil {
		return nil, err
	}
	b, err := acs.DecodeBody(x.header.Get("Content-Type"), x.body)
	if err != nil {
		return nil, w.failf("body: %v", err)
	}
	return b, nil
}

// success checks the last response is a 200 and returns its body.
func (w *world) success() (*acs.Body, error) {
	x, err := w.response()
	if err != nil {
		return nil, err
	}
	if x.status != http.StatusOK {
		code := ""
		if env, err := acs.DecodeError(x.header.Get("Content-Type"), x.body); err == nil {
			code = env.Code
		}
		return nil, w.failf("status = %d (error code = %q), want 200", x.status, code)
	}
	return w.body()
}
