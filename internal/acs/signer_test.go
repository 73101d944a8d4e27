package acs

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func fixedSigner(version string) *Signer {
	return &Signer{KeyID: "testid", Secret: "testsecret", Version: version,
		Now:   func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) },
		Nonce: func() string { return "3156853299f313e23d1673dc12e1703d" }}
}

func exportParams() url.Values {
	return url.Values{"ImageFormat": {"qcow2"}, "ImageId": {"m-bp1abc"}, "OSSBucket": {"my bucket*~"},
		"OSSPrefix": {""}, "RegionId": {"cn-hangzhou"}}
}

func TestSigner_NewRequestV3(t *testing.T) {
	r, err := fixedSigner("").NewRequest(t.Context(), Call{Endpoint: "ecs.cn-hangzhou.aliyuncs.com",
		Action: "ExportImage", Params: exportParams()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != http.MethodPost || r.URL.String() != "https://ecs.cn-hangzhou.aliyuncs.com/?"+exportParams().Encode() {
		t.Errorf("request line = %s %s", r.Method, r.URL)
	}
	wantHeaders := map[string]string{
		"x-acs-action": "ExportImage", "x-acs-version": "2014-05-26", "x-acs-credentials-provider": "static_ak",
		"x-acs-date": "2024-01-01T00:00:00Z", "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
		"x-acs-content-sha256": EmptyBodySHA256, "accept": "application/json", "content-type": "",
	}
	for k, want := range wantHeaders {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if !strings.HasPrefix(r.Header.Get("User-Agent"), "AlibabaCloud (") {
		t.Errorf("user-agent = %q", r.Header.Get("User-Agent"))
	}
	wantSigned := "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,"
	if !strings.Contains(r.Header.Get("Authorization"), wantSigned) {
		t.Errorf("Authorization = %q, want %s", r.Header.Get("Authorization"), wantSigned)
	}
	a, err := Parse(r, nil)
	if err != nil || a.Scheme != SchemeV3 || !a.Verify("testsecret") {
		t.Fatalf("Parse = %+v, %v; want verified v3", a, err)
	}
}

func TestSigner_NewRequestV1(t *testing.T) {
	r, err := fixedSigner("v1").NewRequest(t.Context(), Call{Endpoint: "http://127.0.0.1:8080",
		Action: "ExportImage", Params: url.Values{"RegionId": {"cn-hangzhou"}, "ImageId": {"m-bp1abc"}, "OSSBucket": {"my bucket*~"}}})
	if err != nil {
		t.Fatal(err)
	}
	q := r.URL.Query()
	if got, want := q.Get("Signature"), "MC7mCPUgTRiQZ90zxK8tlCsPiZQ="; got != want {
		t.Errorf("Signature = %q, want %q (the SDK vector)", got, want)
	}
	if q.Get("Format") != "json" || r.Header.Get("Authorization") != "" || r.Header.Get("Accept") != "" {
		t.Errorf("v1 request: Format %q, Authorization %q, Accept %q", q.Get("Format"),
			r.Header.Get("Authorization"), r.Header.Get("Accept"))
	}
	if r.Header.Get(HeaderCredsProvider) != "static_ak" || r.Header.Get(HeaderAction) != "ExportImage" {
		t.Errorf("v1 headers = %v", r.Header)
	}
}

// TestSigner_OverHTTP sends signed requests through a real listener, so the
// server sees what net/http puts on the wire (Host, canonicalised headers,
// Content-Length).
func TestSigner_OverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readBody(t, r)
		a, err := Parse(r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := a.Check("sec"); err != nil {
			http.Error(w, err.Error()+" server string to sign is: "+a.StringToSign(), http.StatusBadRequest)
			return
		}
		params, _ := RequestParams(r, body)
		w.Write([]byte(string(a.Scheme) + " " + params.Get("ImageId") + " " + a.SecurityToken))
	}))
	defer srv.Close()
	for _, version := range []string{"v3", "v1"} {
		for _, form := range []bool{false, true} {
			s := &Signer{KeyID: "id", Secret: "sec", SecurityToken: "tok", Version: version}
			c := Call{Endpoint: srv.URL, Action: "ExportImage", Params: url.Values{"RegionId": {"cn-hangzhou"}}}
			if form {
				c.Form = url.Values{"ImageId": {"m-1 +*~é"}}
			} else {
				c.Params.Set("ImageId", "m-1 +*~é")
			}
			r, err := s.NewRequest(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			got := string(readBody(t, &http.Request{Body: resp.Body}))
			resp.Body.Close()
			if want := version + " m-1 +*~é tok"; resp.StatusCode != 200 || got != want {
				t.Errorf("%s form=%v: %d %q, want 200 %q", version, form, resp.StatusCode, got, want)
			}
		}
	}
}

func TestSigner_NewRequestErrors(t *testing.T) {
	s := fixedSigner("")
	for _, c := range []Call{
		{Endpoint: "http://", Action: "X"},
		{Endpoint: "http://h", Action: "X", Method: "GET", Form: url.Values{"a": {"b"}}},
	} {
		if _, err := s.NewRequest(t.Context(), c); err == nil {
			t.Errorf("NewRequest(%+v) succeeded, want error", c)
		}
	}
	if _, err := fixedSigner("v2").NewRequest(t.Context(), Call{Endpoint: "h", Action: "X"}); err == nil {
		t.Error("unknown Version accepted")
	}
}

func TestNewNonce(t *testing.T) {
	a, b := NewNonce(), NewNonce()
	if len(a) != 32 || strings.Trim(a, "0123456789abcdef") != "" || a == b {
		t.Errorf("NewNonce = %q, %q; want distinct 32 lower-case hex", a, b)
	}
}
