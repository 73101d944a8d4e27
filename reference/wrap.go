package reference

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/reference/api"
	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/spec"
)

// Mutants and variants change a reference from the outside: they wrap the actions New hands
// to the ECS handler and the handler itself, and reference/api knows nothing of them. A
// reference built without any is served by the unwrapped handler.

// mutant is a named change to the reference: a deliberately broken behaviour (mutants.go) or
// a behaviour the document permits (variants.go).
type mutant struct {
	what  string
	apply func(w *wrappers)
}

// names lists a catalogue's names, sorted.
func names(catalogue map[string]mutant) []string { return slices.Sorted(maps.Keys(catalogue)) }

// choose finds a name in a catalogue of mutants or variants (kind says which).
func choose(kind string, catalogue map[string]mutant, name string) (mutant, error) {
	m, ok := catalogue[name]
	if !ok {
		return m, fmt.Errorf("reference: unknown %s %q (known: %s)", kind, name, strings.Join(names(catalogue), ", "))
	}
	return m, nil
}

// wrappers collects what the mutants and variants of one reference do, in the order they are
// applied.
type wrappers struct {
	svc     *ecs.Service
	creds   api.Credentials
	actions map[string]api.Action // wrapAction replaces entries in place
	params  []func(action string, p url.Values)
	results []func(action string, fields map[string]any)
	handler []func(http.Handler) http.Handler
}

// editParams makes f edit a call's parameters after the handler's protocol checks, before any
// action wrapper or action sees them.
func (w *wrappers) editParams(f func(action string, p url.Values)) { w.params = append(w.params, f) }

// editResults makes f edit every success result, as the JSON object it renders as, after the
// action and its wrappers.
func (w *wrappers) editResults(f func(action string, fields map[string]any)) {
	w.results = append(w.results, f)
}

// wrapAction puts f around one action; next is what the action was before.
func (w *wrappers) wrapAction(name string, f func(ctx context.Context, c *api.Call, next api.Action) (any, error)) {
	next := w.actions[name]
	w.actions[name] = func(ctx context.Context, c *api.Call) (any, error) { return f(ctx, c, next) }
}

// wrapHandler puts m around the ECS handler (and the wrappers applied before it).
func (w *wrappers) wrapHandler(m func(http.Handler) http.Handler) { w.handler = append(w.handler, m) }

// finish wraps every action in the parameter and result edits, outermost, so they run in the
// order they were applied, the parameters before and the results after every action wrapper.
func (w *wrappers) finish() {
	if len(w.params) == 0 && len(w.results) == 0 {
		return
	}
	for name, next := range w.actions {
		w.actions[name] = func(ctx context.Context, c *api.Call) (any, error) {
			for _, f := range w.params {
				f(c.Action, c.Params)
			}
			res, err := next(ctx, c)
			if err != nil || len(w.results) == 0 {
				return res, err
			}
			fields, err := api.ResultFields(res)
			if err != nil {
				return nil, err
			}
			for _, f := range w.results {
				f(c.Action, fields)
			}
			return fields, nil
		}
	}
}

// handle wraps h in the handler wrappers, the first applied innermost.
func (w *wrappers) handle(h http.Handler) http.Handler {
	for _, m := range w.handler {
		h = m(h)
	}
	return h
}

// errorStatus answers every error of row code with status instead of the row's. A response
// with the row's status is held back until the handler is done, so its code can be read from
// the envelope.
func errorStatus(code *spec.Code, status int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			held := &heldResponse{ResponseWriter: w, hold: code.Status()}
			next.ServeHTTP(held, r)
			if !held.holding {
				return
			}
			s := code.Status()
			if env, err := acs.DecodeError(w.Header().Get("Content-Type"), held.body.Bytes()); err == nil && env.Code == code.Wire {
				s = status
			}
			w.WriteHeader(s)
			_, _ = w.Write(held.body.Bytes()) // the client went away: nothing to do
		})
	}
}

// heldResponse passes a response through, except one whose status is the row's: that one it
// keeps (holding) for errorStatus to send.
type heldResponse struct {
	http.ResponseWriter
	hold    int // the status to hold back
	wrote   bool
	holding bool
	body    bytes.Buffer
}

func (h *heldResponse) WriteHeader(status int) {
	if h.wrote {
		return
	}
	h.wrote = true
	if status == h.hold {
		h.holding = true
		return
	}
	h.ResponseWriter.WriteHeader(status)
}

func (h *heldResponse) Write(p []byte) (int, error) {
	if !h.wrote {
		h.WriteHeader(http.StatusOK)
	}
	if h.holding {
		return h.body.Write(p)
	}
	return h.ResponseWriter.Write(p)
}

// resign re-signs, with the secret of the key it names, a request whose signature (or V3 body
// hash) is wrong, so that the handler's verification passes and every later check (time
// window, token, nonce) applies as usual. A request it cannot parse, whose key is unknown or
// disabled, or which is too large to be verified, goes on unchanged and is refused as usual.
func resign(creds api.Credentials) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(io.LimitReader(r.Body, api.MaxBodyBytes+1))
			rest := r.Body
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), rest), rest}
			if err == nil && len(body) <= api.MaxBodyBytes {
				if signed, ok := resigned(r, body, creds); ok {
					r.Body, r.ContentLength = readCloser{bytes.NewReader(signed), rest}, int64(len(signed))
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// resigned re-signs r if it needs it and returns its (possibly edited) body.
func resigned(r *http.Request, body []byte, creds api.Credentials) ([]byte, bool) {
	auth, err := acs.Parse(r, body)
	if err != nil {
		return nil, false
	}
	cred, ok := creds.Credential(auth.AccessKeyID)
	if !ok || cred.Disabled || auth.Verify(cred.Secret) {
		return nil, false
	}
	switch auth.Scheme {
	case acs.SchemeV1:
		if len(r.URL.RawQuery)+len(body) > api.MaxV1Bytes {
			return nil, false
		}
		sig := acs.SignatureV1(cred.Secret, auth.StringToSign())
		r.URL.RawQuery = setParam(r.URL.RawQuery, "Signature", sig)
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/x-www-form-urlencoded" {
			body = []byte(setParam(string(body), "Signature", sig))
		}
		return body, true
	case acs.SchemeV3:
		r.Header.Set(acs.HeaderContentSHA256, acs.HashPayload(body)) // signed: parse again
		if auth, err = acs.Parse(r, body); err != nil {
			return nil, false
		}
		sig := acs.SignatureV3(cred.Secret, auth.StringToSign())
		alg, fields, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		parts := strings.Split(fields, ",")
		for i, f := range parts {
			if k, _, _ := strings.Cut(strings.TrimSpace(f), "="); k == "Signature" {
				parts[i] = "Signature=" + sig
			}
		}
		r.Header.Set("Authorization", alg+" "+strings.Join(parts, ","))
		return body, true
	}
	return nil, false
}

// setParam replaces the value of every name=value pair of a query or form body named name,
// splitting and decoding names as url.ParseQuery does.
func setParam(query, name, value string) string {
	pairs := strings.Split(query, "&")
	for i, p := range pairs {
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err == nil && key == name {
			pairs[i] = k + "=" + url.QueryEscape(value)
		}
	}
	return strings.Join(pairs, "&")
}
