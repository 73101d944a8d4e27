package reference_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/spec"
)

// The attack tests keep the holes of issue #12 closed: tampered requests, replays, a nonce
// flood, temporary keys without their token. Every refusal must be a documented row of the
// error table (code, status and message), never a 5xx.

// answer is a response as the attack tests judge it.
type answer struct {
	status        int
	code, message string
}

// documented reports whether a refusal is a row of the error table: same code and status,
// message of the row's shape.
func (a answer) documented() bool {
	for _, row := range spec.Lookup(a.code) {
		if row.Status() == a.status && row.Matches(a.message) {
			return true
		}
	}
	return false
}

func (a answer) String() string { return fmt.Sprintf("%d %s %q", a.status, a.code, a.message) }

// serveInProcess sends r with body to handler without a socket.
func serveInProcess(t *testing.T, handler http.Handler, r *http.Request, body []byte) answer {
	t.Helper()
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	return decodeAnswer(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes())
}

func decodeAnswer(t *testing.T, status int, contentType string, data []byte) answer {
	t.Helper()
	a := answer{status: status}
	if status == http.StatusOK {
		return a
	}
	env, err := acs.DecodeError(contentType, data)
	if err != nil {
		t.Fatalf("%d with an undecodable error body %q: %v", status, data, err)
	}
	a.code, a.message = env.Code, env.Message
	return a
}

// tamper returns s with byte i replaced by one that differs from it in every reading the
// protocol allows (case-insensitive hex, percent escapes): 'Z', or '0' in place of a Z.
func tamper(s string, i int) string {
	b := []byte(s)
	if b[i] == 'Z' || b[i] == 'z' {
		b[i] = '0'
	} else {
		b[i] = 'Z'
	}
	return string(b)
}

// signedPart is one part of a request that the signature covers, as a string to tamper with.
type signedPart struct {
	name string
	get  func(r *http.Request, body []byte) string
	set  func(r *http.Request, body *[]byte, v string)
}

func headerPart(name string) signedPart {
	return signedPart{"header " + name,
		func(r *http.Request, _ []byte) string { return r.Header.Get(name) },
		func(r *http.Request, _ *[]byte, v string) { r.Header.Set(name, v) }}
}

var commonParts = []signedPart{
	{"method", func(r *http.Request, _ []byte) string { return r.Method }, func(r *http.Request, _ *[]byte, v string) { r.Method = v }},
	{"path", func(r *http.Request, _ []byte) string { return r.URL.Path }, func(r *http.Request, _ *[]byte, v string) { r.URL.Path, r.URL.RawPath = v, "" }},
	{"query", func(r *http.Request, _ []byte) string { return r.URL.RawQuery }, func(r *http.Request, _ *[]byte, v string) { r.URL.RawQuery = v }},
	{"body", func(_ *http.Request, body []byte) string { return string(body) }, func(_ *http.Request, body *[]byte, v string) { *body = []byte(v) }},
}

// TestAttack_TamperedRequests flips each byte of each signed part of a valid V3 and V1 request
// — method, path, query (names, values, and in V1 the date, nonce and signature), every signed
// header (host, x-acs-date, x-acs-signature-nonce…), the Authorization header with its
// signature, the form body — and sends each: none is accepted, each answer is a documented
// error and not a 5xx. The untouched request is then accepted once (no tampered copy used its
// nonce up) and its replay refused.
func TestAttack_TamperedRequests(t *testing.T) {
	h := start(t)
	handler := h.srv.Config.Handler
	demo := keys["demo"]
	for _, scheme := range []string{"v3", "v1"} {
		t.Run(scheme, func(t *testing.T) {
			s := &acs.Signer{KeyID: demo[0], Secret: demo[1], Version: scheme}
			orig, err := s.NewRequest(context.Background(), acs.Call{Endpoint: h.srv.URL, Action: "DescribeImages",
				Params: url.Values{"RegionId": {"cn-hangzhou"}, "ImageId": {"m-eic-custom"}}, Form: url.Values{"PageSize": {"10"}}})
			if err != nil {
				t.Fatal(err)
			}
			origBody, _ := io.ReadAll(orig.Body)
			parts := append([]signedPart(nil), commonParts...)
			if scheme == "v3" {
				parts = append(parts, signedPart{"header host",
					func(r *http.Request, _ []byte) string { return r.Host },
					func(r *http.Request, _ *[]byte, v string) { r.Host = v }})
				for _, name := range []string{"Authorization", "Content-Type", acs.HeaderAction, acs.HeaderVersion, acs.HeaderDate,
					acs.HeaderNonce, acs.HeaderContentSHA256, acs.HeaderCredsProvider} {
					if orig.Header.Get(name) == "" {
						t.Fatalf("the signed request lacks %s", name)
					}
					parts = append(parts, headerPart(name))
				}
			}
			sent := 0
			for _, part := range parts {
				value := part.get(orig, origBody)
				for i := range len(value) {
					r := orig.Clone(context.Background())
					body := bytes.Clone(origBody)
					part.set(r, &body, tamper(value, i))
					got := serveInProcess(t, handler, r, body)
					sent++
					if got.status == http.StatusOK || got.status >= 500 || !got.documented() {
						t.Errorf("%s byte %d (%q → %q): answered %v, want a documented refusal", part.name, i,
							value, tamper(value, i), got)
					}
				}
			}
			t.Logf("%d tampered requests, none accepted", sent)
			if got := serveInProcess(t, handler, orig.Clone(context.Background()), origBody); got.status != http.StatusOK {
				t.Fatalf("the untouched request after the tampered ones: %v, want 200", got)
			}
			if got := serveInProcess(t, handler, orig.Clone(context.Background()), origBody); got.code != "SignatureNonceUsed" || !got.documented() {
				t.Errorf("replay: %v, want SignatureNonceUsed", got)
			}
		})
	}
}

// TestAttack_StaleAndFutureRequests: a correctly signed request outside the 15-minute window is
// refused as expired, whichever side.
func TestAttack_StaleAndFutureRequests(t *testing.T) {
	h := start(t)
	demo := keys["demo"]
	for _, skew := range []time.Duration{-16 * time.Minute, 16 * time.Minute} {
		for _, scheme := range []string{"v3", "v1"} {
			s := &acs.Signer{KeyID: demo[0], Secret: demo[1], Version: scheme, Now: func() time.Time { return time.Now().Add(skew) }}
			r, err := s.NewRequest(context.Background(), acs.Call{Endpoint: h.srv.URL, Action: "DescribeRegions"})
			if err != nil {
				t.Fatal(err)
			}
			if got := serveInProcess(t, h.srv.Config.Handler, r, nil); got.code != "InvalidTimeStamp.Expired" || !got.documented() {
				t.Errorf("%s at %v: %v, want InvalidTimeStamp.Expired", scheme, skew, got)
			}
		}
	}
}

// TestAttack_TemporaryKeys: an STS key works only with its own unexpired token; left out, the
// token is MissingSecurityToken, expired or not; after a reset the key is gone.
func TestAttack_TemporaryKeys(t *testing.T) {
	h := start(t)
	tok, err := h.ctl.STS(context.Background(), "demo", 2*time.Second)
	h.must(err)
	other, err := h.ctl.STS(context.Background(), "demo", time.Hour)
	h.must(err)
	send := func(scheme, token string) answer {
		s := &acs.Signer{KeyID: tok.AccessKeyID, Secret: tok.AccessKeySecret, SecurityToken: token, Version: scheme}
		r, err := s.NewRequest(context.Background(), acs.Call{Endpoint: h.srv.URL, Action: "DescribeRegions"})
		if err != nil {
			t.Fatal(err)
		}
		return serveInProcess(t, h.srv.Config.Handler, r, nil)
	}
	check := func(when, scheme, token, wantCode string) {
		t.Helper()
		got := send(scheme, token)
		if wantCode == "" && got.status != http.StatusOK || wantCode != "" && (got.code != wantCode || !got.documented()) {
			t.Errorf("%s, %s, token %.12q: %v, want %s", when, scheme, token, got, or(wantCode, "200"))
		}
	}
	for _, scheme := range []string{"v3", "v1"} {
		check("fresh", scheme, tok.SecurityToken, "")
		check("fresh", scheme, "", "MissingSecurityToken")
		check("fresh", scheme, other.SecurityToken, "InvalidSecurityToken.MismatchWithAccessKey")
		check("fresh", scheme, "CAIS-not-issued", "InvalidSecurityToken.Malformed")
		for i := range len(tok.SecurityToken) {
			if got := send(scheme, tamper(tok.SecurityToken, i)); got.status == http.StatusOK || !got.documented() {
				t.Errorf("token byte %d tampered: %v, want a documented refusal", i, got)
			}
		}
	}
	h.advance(4 * time.Second)
	for _, scheme := range []string{"v3", "v1"} {
		check("expired", scheme, tok.SecurityToken, "InvalidSecurityToken.Expired")
		check("expired", scheme, "", "MissingSecurityToken")
	}
	h.must(h.ctl.Reset(context.Background()))
	check("after reset", "v3", tok.SecurityToken, "InvalidAccessKeyId.NotFound")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestAttack_NonceFlood: one account floods a loopback server with valid requests, bounded in
// count and time. It gets its share of the replay cache and then Throttling.User, never a 5xx;
// another account's request captured before the flood is still refused as a replay after it,
// and that account's fresh requests still pass.
func TestAttack_NonceFlood(t *testing.T) {
	const share, flood, workers = 300, 1200, 8
	h := start(t, reference.WithNoncesPerAccount(share))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	do := func(account string, nonce string) (answer, error) {
		k := keys[account]
		s := &acs.Signer{KeyID: k[0], Secret: k[1]}
		if nonce != "" {
			s.Nonce = func() string { return nonce }
		}
		r, err := s.NewRequest(ctx, acs.Call{Endpoint: h.srv.URL, Action: "DescribeRegions"})
		if err != nil {
			return answer{}, err
		}
		resp, err := client.Do(r)
		if err != nil {
			return answer{}, err
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return decodeAnswer(t, resp.StatusCode, resp.Header.Get("Content-Type"), data), nil
	}
	captured := acs.NewNonce()
	if got, err := do("other", captured); err != nil || got.status != http.StatusOK {
		t.Fatalf("victim's request: %v %v", got, err)
	}

	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range flood / workers {
				got, err := do("demo", "")
				mu.Lock()
				switch {
				case err != nil:
					answers["transport error: "+err.Error()]++
				case got.status != http.StatusOK && !got.documented():
					answers["undocumented: "+got.String()]++
				default:
					answers[or(got.code, "200")]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if answers["200"] != share || answers["Throttling.User"] != flood-share || len(answers) != 2 {
		t.Errorf("flood of %d answered %v, want %d × 200 and the rest Throttling.User", flood, answers, share)
	}
	if got, err := do("other", captured); err != nil || got.code != "SignatureNonceUsed" {
		t.Errorf("victim's captured request replayed after the flood: %v %v, want SignatureNonceUsed", got, err)
	}
	if got, err := do("other", ""); err != nil || got.status != http.StatusOK {
		t.Errorf("victim's fresh request after the flood: %v %v, want 200", got, err)
	}
}
