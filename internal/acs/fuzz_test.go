package acs

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzCanonicalQuery: any raw query canonicalises without panicking, to a
// deterministic string of the RFC 3986 alphabet, that is a fixed point
// (canonicalising it again changes nothing) and equals the canonical form of
// Go's own wire encoding of the same parameters.
func FuzzCanonicalQuery(f *testing.F) {
	f.Add("ImageId=m-bp1abc&OSSBucket=my+bucket%2A~&OSSPrefix=")
	f.Add("a=1;b&c=%zz&=x&&d=%41%2b+&d=0&a=0")
	f.Fuzz(func(t *testing.T, raw string) {
		c1, err1 := CanonicalQueryString(raw)
		// The pairs and the error are url.ParseQuery's (it skips no pair that the
		// map-free parse keeps, nor the reverse).
		parsed, perr := url.ParseQuery(raw)
		if want := CanonicalQuery(parsed); c1 != want || fmt.Sprint(err1) != fmt.Sprint(perr) {
			t.Fatalf("CanonicalQueryString(%q) = %q, %v; via url.ParseQuery %q, %v", raw, c1, err1, want, perr)
		}
		if c2, _ := CanonicalQueryString(raw); c1 != c2 {
			t.Fatalf("not deterministic: %q then %q", c1, c2)
		}
		for i := 0; i < len(c1); i++ {
			switch c := c1[i]; {
			case unreserved(c), c == '=', c == '&':
			case c == '%' && i+2 < len(c1) && isUpperHex(c1[i+1]) && isUpperHex(c1[i+2]):
				i += 2
			default:
				t.Fatalf("canonical %q has byte %q at %d", c1, c, i)
			}
		}
		c3, err := CanonicalQueryString(c1)
		if err != nil || c3 != c1 {
			t.Fatalf("not stable: %q → %q (%v)", c1, c3, err)
		}
		v, _ := url.ParseQuery(raw)
		if c4, _ := CanonicalQueryString(v.Encode()); c4 != c1 {
			t.Fatalf("wire form %q canonicalises to %q, want %q", v.Encode(), c4, c1)
		}
	})
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// mutate changes the byte at i%len(s) to a different non-space byte.
func mutate(s string, i uint16) string {
	b := []byte(s)
	j := int(i) % len(b)
	if b[j] == 'a' {
		b[j] = 'b'
	} else {
		b[j] = 'a'
	}
	return string(b)
}

// FuzzVerifyV3: a request signed by SignV3 over an arbitrary parameter,
// body and secret verifies with that secret and no other; changing one byte
// of a query value, of a signed header value or of the body (with or
// without fixing x-acs-content-sha256) makes verification fail.
func FuzzVerifyV3(f *testing.F) {
	f.Add("OSSBucket", "my bucket*~", []byte(""), "testsecret", uint16(3))
	f.Fuzz(func(t *testing.T, key, value string, body []byte, secret string, pos uint16) {
		build := func() *http.Request {
			q := url.Values{"RegionId": {"cn-hangzhou"}}
			q.Add(key, value)
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/?"+q.Encode(), nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set(HeaderAction, "ExportImage")
			r.Header.Set(HeaderVersion, "2014-05-26")
			r.Header.Set(HeaderCredsProvider, "static_ak")
			if len(body) > 0 {
				r.Header.Set("Content-Type", "application/octet-stream")
			}
			SignV3(r, body, Credentials{KeyID: "id", Secret: secret}, time.Unix(1700000000, 0), "nonce")
			return r
		}
		verifies := func(r *http.Request, body []byte) bool {
			a, err := ParseV3(r, body)
			return err == nil && a.Verify(secret)
		}
		r := build()
		a, err := ParseV3(r, body)
		if err != nil {
			t.Fatalf("ParseV3 of a signed request: %v", err)
		}
		if !a.Verify(secret) {
			t.Fatalf("signed request does not verify; string to sign %q", a.StringToSign())
		}
		if a.Verify(secret + "x") {
			t.Fatal("verifies with another secret")
		}
		if value != "" {
			r := build()
			q := r.URL.Query()
			q[key][len(q[key])-1] = mutate(value, pos)
			r.URL.RawQuery = q.Encode()
			if verifies(r, body) {
				t.Fatalf("query value changed to %q still verifies", q[key])
			}
		}
		r = build()
		r.Header.Set(HeaderAction, mutate("ExportImage", pos))
		if verifies(r, body) {
			t.Fatal("changed x-acs-action still verifies")
		}
		if len(body) > 0 {
			r := build()
			changed := []byte(mutate(string(body), pos))
			if verifies(r, changed) {
				t.Fatal("changed body (hash header unchanged) still verifies")
			}
			r.Header.Set(HeaderContentSHA256, HashPayload(changed))
			if verifies(r, changed) {
				t.Fatal("changed body with matching hash header still verifies")
			}
		}
	})
}

// FuzzVerifyV1: the same property for V1 over query parameters.
func FuzzVerifyV1(f *testing.F) {
	f.Add("OSSBucket", "my bucket*~", "testsecret", uint16(3))
	f.Fuzz(func(t *testing.T, key, value, secret string, pos uint16) {
		switch key {
		case "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp",
			"SecurityToken", "Signature", "SignatureType", "Version":
			t.Skip("common parameter")
		}
		p := url.Values{"Action": {"ExportImage"}, "Version": {"2014-05-26"}}
		p.Add(key, value)
		SignV1(p, "POST", Credentials{KeyID: "id", Secret: secret}, time.Unix(1700000000, 0), "nonce")
		a, err := ParseV1(p, "POST")
		if err != nil || !a.Verify(secret) {
			t.Fatalf("signed params do not verify (err %v)", err)
		}
		if a.Verify(secret + "x") {
			t.Fatal("verifies with another secret")
		}
		if value != "" {
			vs := p[key]
			vs[len(vs)-1] = mutate(value, pos)
			if a, err := ParseV1(p, "POST"); err == nil && a.Verify(secret) {
				t.Fatalf("changed value %q still verifies", vs)
			}
		}
	})
}
