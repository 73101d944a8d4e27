package steps

import (
	"net/http"
	"net/url"
	"time"

	"github.com/exportimage/eic/internal/acs"
)

// Sending: every request of a scenario is signed, sent, recorded and validated here.

// send signs and sends one call of action with params, applying and clearing the tweaks,
// records the exchange and validates the response against the spec.
func (w *world) send(action string, params url.Values) error {
	t := w.tweak
	w.tweak = tweaks{}
	signer := acs.Signer{
		KeyID: w.account.AccessKeyID, Secret: w.account.AccessKeySecret,
		SecurityToken: w.account.SecurityToken, Version: w.signature,
		Now: func() time.Time { return w.now().Add(t.timeShift) },
	}
	if t.wrongSecret {
		signer.Secret += "x"
	}
	if t.unknownKey {
		signer.KeyID = "LTAI5tEicUnknown" + acs.NewNonce()[:8]
	}
	if t.token != nil {
		signer.SecurityToken = *t.token
	}
	call := acs.Call{Endpoint: w.cfg.Endpoint, Action: action, Params: params, Format: w.format,
		APIVersion: t.version, Method: t.method}
	req, err := signer.NewRequest(w.ctx(), call)
	if err != nil {
		return w.failf("build request: %v", err)
	}
	if t.noSignature {
		req.Header.Del("Authorization")
		q := req.URL.Query()
		q.Del("Signature")
		req.URL.RawQuery = q.Encode()
	}
	if t.badTime {
		if req.Header.Get(acs.HeaderDate) != "" {
			req.Header.Set(acs.HeaderDate, "2024/01/01 00:00:00")
		}
		q := req.URL.Query()
		if q.Has("Timestamp") {
			q.Set("Timestamp", "2024/01/01 00:00:00")
			req.URL.RawQuery = q.Encode()
		}
	}
	if t.dropParam != "" {
		q := req.URL.Query()
		q.Del(t.dropParam)
		req.URL.RawQuery = q.Encode()
		req.Header.Del(t.dropParam)
	}
	return w.exchange(action, req, nil)
}

func (w *world) exchange(action string, req *http.Request, body []byte) error {
	x := do(w.ctx(), w.cfg.httpClient(), action, req, body)
	w.last = x
	if x.err != nil {
		return w.failf("request failed: %v", x.err)
	}
	if err := x.validate(w.ctx(), w.cfg.spec()); err != nil {
		return w.fail(err)
	}
	return nil
}

// errorEnvelope decodes the last response as an error.
func (w *world) errorEnvelope() (*acs.ErrorEnvelope, error) {
	if w.last == nil || w.last.err != nil {
		return nil, w.failf("no response to check")
	}
	if w.last.status < 400 {
		return nil, w.failf("status = %d, want an error", w.last.status)
	}
	env, err := acs.DecodeError(w.last.header.Get("Content-Type"), w.last.body)
	if err != nil {
		return nil, w.failf("error body: %v", err)
	}
	return env, nil
}

// body decodes the last response (any status).
func (w *world) body() (*acs.Body, error) {
	if w.last == nil || w.last.err != nil {
		return nil, w.failf("no response to check")
	}
	b, err := acs.DecodeBody(w.last.header.Get("Content-Type"), w.last.body)
	if err != nil {
		return nil, w.failf("body: %v", err)
	}
	return b, nil
}

// success checks the last response is a 200 and returns its body.
func (w *world) success() (*acs.Body, error) {
	if w.last == nil || w.last.err != nil {
		return nil, w.failf("no response to check")
	}
	if w.last.status != http.StatusOK {
		code := ""
		if env, err := acs.DecodeError(w.last.header.Get("Content-Type"), w.last.body); err == nil {
			code = env.Code
		}
		return nil, w.failf("status = %d (error code = %q), want 200", w.last.status, code)
	}
	return w.body()
}
