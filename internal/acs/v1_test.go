package acs

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignatureV1_Vectors(t *testing.T) {
	tests := []struct {
		name   string
		method string
		params url.Values
		sts    string // "" when not given
		want   string
	}{
		{"doc", "GET", url.Values{"AccessKeyId": {"testid"}, "Action": {"DescribeRegions"}, "Format": {"XML"},
			"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
			"SignatureVersion": {"1.0"}, "Timestamp": {"2016-02-23T12:46:24Z"}, "Version": {"2014-05-26"}},
			"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1" +
				"%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0" +
				"%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
			"OLeaidS1JvxuMvnyHOwuJ+uX5qY="},
		{"sdk", "POST", url.Values{"Action": {"ExportImage"}, "Format": {"json"}, "Version": {"2014-05-26"},
			"Timestamp": {"2024-01-01T00:00:00Z"}, "SignatureNonce": {"3156853299f313e23d1673dc12e1703d"},
			"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "AccessKeyId": {"testid"},
			"RegionId": {"cn-hangzhou"}, "ImageId": {"m-bp1abc"}, "OSSBucket": {"my bucket*~"}},
			"", "MC7mCPUgTRiQZ90zxK8tlCsPiZQ="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := StringToSignV1(tt.method, tt.params)
			if tt.sts != "" && sts != tt.sts {
				t.Errorf("string to sign = %q, want %q", sts, tt.sts)
			}
			if got := SignatureV1("testsecret", sts); got != tt.want {
				t.Errorf("signature = %q, want %q", got, tt.want)
			}
			// Signature itself never enters the string to sign.
			p := cloneValues(tt.params)
			p.Set("Signature", tt.want)
			if got := StringToSignV1(tt.method, p); got != sts {
				t.Errorf("string to sign with Signature = %q, want %q", got, sts)
			}
			a, err := ParseV1(p, tt.method)
			if err != nil {
				t.Fatalf("ParseV1: %v", err)
			}
			if !a.Verify("testsecret") || a.Verify("testsecreT") {
				t.Error("Verify(right) must be true and Verify(wrong) false")
			}
		})
	}
}

func TestSignV1_SDKVector(t *testing.T) {
	p := url.Values{"Action": {"ExportImage"}, "Format": {"json"}, "Version": {"2014-05-26"},
		"RegionId": {"cn-hangzhou"}, "ImageId": {"m-bp1abc"}, "OSSBucket": {"my bucket*~"}}
	SignV1(p, "POST", Credentials{KeyID: "testid", Secret: "testsecret"},
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "3156853299f313e23d1673dc12e1703d")
	if got, want := p.Get("Signature"), "MC7mCPUgTRiQZ90zxK8tlCsPiZQ="; got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	// The wire query carries the signature escaped, as in protocol.md B.1.
	if !strings.Contains(p.Encode(), "Signature=MC7mCPUgTRiQZ90zxK8tlCsPiZQ%3D&SignatureMethod=HMAC-SHA1") {
		t.Errorf("encoded query %q lacks the escaped signature", p.Encode())
	}
}

func TestParseV1_Errors(t *testing.T) {
	base := func() url.Values {
		p := url.Values{"Action": {"ExportImage"}, "Version": {"2014-05-26"}}
		SignV1(p, "POST", Credentials{KeyID: "id", Secret: "s"}, time.Unix(0, 0), "n")
		return p
	}
	tests := []struct {
		name  string
		edit  func(p url.Values)
		code  string
		param string
	}{
		{"no version", func(p url.Values) { p.Del("Version") }, CodeMissingParameter, "Version"},
		{"no key", func(p url.Values) { p.Del("AccessKeyId") }, CodeMissingParameter, "AccessKeyId"},
		{"no timestamp", func(p url.Values) { p.Del("Timestamp") }, CodeMissingTimestamp, "Timestamp"},
		{"bad timestamp", func(p url.Values) { p.Set("Timestamp", "1700000000") }, CodeInvalidTimeStampFormat, "Timestamp"},
		{"no nonce", func(p url.Values) { p.Del("SignatureNonce") }, CodeMissingParameter, "SignatureNonce"},
		{"no method", func(p url.Values) { p.Del("SignatureMethod") }, CodeIncompleteSignature, ""},
		{"sha256 method", func(p url.Values) { p.Set("SignatureMethod", "HMAC-SHA256") }, CodeIncompleteSignature, ""},
		{"version 2", func(p url.Values) { p.Set("SignatureVersion", "2.0") }, CodeIncompleteSignature, ""},
		{"bearer", func(p url.Values) { p.Set("SignatureType", "BEARERTOKEN") }, CodeIncompleteSignature, ""},
		{"no signature", func(p url.Values) { p.Del("Signature") }, CodeMissingSignature, "Signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.edit(p)
			_, err := ParseV1(p, "POST")
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("ParseV1 error = %v, want *AuthError", err)
			}
			if ae.Code != tt.code || ae.Param != tt.param {
				t.Errorf("error = (%q, %q), want (%q, %q)", ae.Code, ae.Param, tt.code, tt.param)
			}
		})
	}
}

// TestParse_V1FormUnion: a form-body parameter is signed with the query and
// tampering with it breaks verification.
func TestParse_V1FormUnion(t *testing.T) {
	s := &Signer{KeyID: "id", Secret: "s", Version: "v1", Nonce: func() string { return "n" },
		Now: func() time.Time { return time.Unix(0, 0) }}
	r, err := s.NewRequest(t.Context(), Call{Endpoint: "http://127.0.0.1:8080", Action: "ExportImage",
		Params: url.Values{"RegionId": {"cn-hangzhou"}}, Form: url.Values{"ImageId": {"m-1"}, "OSSBucket": {"b"}}})
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, r)
	if r.URL.Query().Has("ImageId") || !strings.Contains(string(body), "ImageId=m-1") {
		t.Fatalf("form params not in the body: query %q body %q", r.URL.RawQuery, body)
	}
	a, err := Parse(r, body)
	if err != nil || a.Scheme != SchemeV1 || !a.Verify("s") {
		t.Fatalf("Parse = %+v, %v; want verified v1", a, err)
	}
	a, err = Parse(r, []byte(strings.Replace(string(body), "m-1", "m-2", 1)))
	if err != nil || a.Verify("s") {
		t.Errorf("tampered form body verifies (err %v)", err)
	}
	r.Header.Set("Content-Type", "text/plain") // body no longer counts as params
	if a, err := Parse(r, body); err != nil || a.Verify("s") {
		t.Errorf("non-form body still signed as params (err %v)", err)
	}
}

func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStringToSignV1_Definition: the one-pass string to sign is the documented definition,
// METHOD&%2F&PercentEncode(CanonicalQuery without Signature).
func TestStringToSignV1_Definition(t *testing.T) {
	for _, p := range []url.Values{
		{},
		{"Action": {"DescribeRegions"}, "Signature": {"x"}},
		{"A b": {"c*d~e", "1"}, "中文": {"值 =&%"}, "x": {""}, "Tag.1.Key": {"\xff\x00"}},
	} {
		for _, method := range []string{"get", "POST"} {
			rest := url.Values{}
			for k, v := range p {
				if k != "Signature" {
					rest[k] = v
				}
			}
			want := strings.ToUpper(method) + "&%2F&" + PercentEncode(CanonicalQuery(rest))
			if got := StringToSignV1(method, p); got != want {
				t.Errorf("StringToSignV1(%s, %v) = %q, want %q", method, p, got, want)
			}
		}
	}
}
