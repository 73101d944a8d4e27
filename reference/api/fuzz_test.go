package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/exportimage/eic/internal/acs"
	"github.com/exportimage/eic/spec"
)

// FuzzDecodeRequest sends arbitrary methods, queries, bodies and headers through the whole
// protocol layer: it must never panic, never answer 5xx, and always answer a well-formed
// envelope of a documented code, with a request id.
func FuzzDecodeRequest(f *testing.F) {
	f.Add("POST", "Action=DescribeRegions&Version=2014-05-26", "", "", "")
	f.Add("GET", "Action=DescribeTasks&RegionId=cn-hangzhou&AccessKeyId=good&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce=1&Timestamp=2026-01-01T00:00:00Z&Signature=x&Version=2014-05-26", "", "", "")
	f.Add("POST", "", "RegionId=cn-hangzhou&Action=DescribeTasks", "application/x-www-form-urlencoded", "")
	f.Add("POST", "%zz=1&a=%ff", "", "", "ACS3-HMAC-SHA256 Credential=good,SignedHeaders=host,Signature=00")
	f.Add("PUT", "Format=XML", "\x00\xff", "text/plain", "ACS3-HMAC-SHA256")
	h, err := New(fakeCreds{}, map[string]Action{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, query, body, contentType, authorization string) {
		if !validMethod(method) {
			method = "POST"
		}
		req := httptest.NewRequest("POST", "/", bytes.NewReader([]byte(body)))
		req.Method = method
		req.URL.RawQuery = query
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %s ?%q body %q", rec.Code, method, query, body)
		}
		if rec.Header().Get("x-acs-request-id") == "" {
			t.Fatal("no x-acs-request-id")
		}
		env, err := acs.DecodeError(rec.Header().Get("Content-Type"), rec.Body.Bytes())
		if err != nil {
			t.Fatalf("undecodable error body %q: %v", rec.Body.String(), err)
		}
		rows := spec.Lookup(env.Code)
		if len(rows) == 0 {
			t.Fatalf("code %q is not in the table", env.Code)
		}
		for _, r := range rows {
			if r.Status() == rec.Code && r.Matches(env.Message) {
				return
			}
		}
		t.Fatalf("%d %s %q matches no row of the table", rec.Code, env.Code, env.Message)
	})
}

// validMethod keeps the fuzzer to method tokens net/http can carry.
func validMethod(m string) bool {
	return m != "" && len(m) < 16 && strings.IndexFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0 && m != http.MethodConnect
}
