package acs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// v3Vector is a request of protocol.md A.4, built by hand with exactly the
// headers the vector signs.
type v3Vector struct {
	keyID, secret, host, action, date, nonce string
	query                                    url.Values
}

func (v v3Vector) request(t *testing.T) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "https://"+v.host+"/?"+v.query.Encode(), http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set(HeaderAction, v.action)
	r.Header.Set(HeaderVersion, "2014-05-26")
	return r
}

func (v v3Vector) signed(t *testing.T) *http.Request {
	t.Helper()
	r := v.request(t)
	date, err := time.Parse(TimeLayout, v.date)
	if err != nil {
		t.Fatal(err)
	}
	SignV3(r, nil, Credentials{KeyID: v.keyID, Secret: v.secret}, date, v.nonce)
	return r
}

var sdkV3 = v3Vector{
	keyID: "testid", secret: "testsecret", host: "ecs.cn-hangzhou.aliyuncs.com", action: "ExportImage",
	date: "2024-01-01T00:00:00Z", nonce: "3156853299f313e23d1673dc12e1703d",
	query: url.Values{"ImageFormat": {"qcow2"}, "ImageId": {"m-bp1abc"}, "OSSBucket": {"my bucket*~"},
		"OSSPrefix": {""}, "RegionId": {"cn-hangzhou"}},
}

var docV3 = v3Vector{
	keyID: "YourAccessKeyId", secret: "YourAccessKeySecret", host: "ecs.cn-shanghai.aliyuncs.com", action: "RunInstances",
	date: "2023-10-26T09:01:01Z", nonce: "d410180a5abf7fe235dd9b74aca91fc0",
	query: url.Values{"ImageId": {"win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"}, "RegionId": {"cn-shanghai"}},
}

const vectorSignedHeaders = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"

func TestSignV3_Vectors(t *testing.T) {
	tests := []struct {
		name   string
		vec    v3Vector
		query  string // canonical query, "" when the doc gives none
		hashed string // hex SHA-256 of the canonical request, "" when not given
		sig    string
	}{
		{"sdk", sdkV3, "ImageFormat=qcow2&ImageId=m-bp1abc&OSSBucket=my%20bucket%2A~&OSSPrefix=&RegionId=cn-hangzhou",
			"5cd1158924eee54943bf4a8b94a5fa3f7c3825aa918e28b48e6055c390446a76",
			"e7c98bdfe68b1fa9b75d4b4b64df06d1c4aa95e63f3c2390031c603acfc45192"},
		{"doc", docV3, "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai", "",
			"e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.vec.signed(t)
			if got, _ := CanonicalQueryString(r.URL.RawQuery); got != tt.query {
				t.Errorf("canonical query = %q, want %q", got, tt.query)
			}
			names := strings.Split(vectorSignedHeaders, ";")
			cr := CanonicalRequestV3(r, names, EmptyBodySHA256)
			sum := sha256.Sum256([]byte(cr))
			if got := hex.EncodeToString(sum[:]); tt.hashed != "" && got != tt.hashed {
				t.Errorf("hashed canonical request = %s, want %s\n%s", got, tt.hashed, cr)
			}
			if got, want := StringToSignV3(cr), "ACS3-HMAC-SHA256\n"+hex.EncodeToString(sum[:]); got != want {
				t.Errorf("string to sign = %q, want %q", got, want)
			}
			want := "ACS3-HMAC-SHA256 Credential=" + tt.vec.keyID + ",SignedHeaders=" + vectorSignedHeaders + ",Signature=" + tt.sig
			if got := r.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization = %q, want %q", got, want)
			}
			if got := r.Header.Get(HeaderContentSHA256); got != EmptyBodySHA256 {
				t.Errorf("x-acs-content-sha256 = %q, want %q", got, EmptyBodySHA256)
			}
		})
	}
}

func TestCanonicalRequestV3_Layout(t *testing.T) {
	r := sdkV3.signed(t)
	got := CanonicalRequestV3(r, strings.Split(vectorSignedHeaders, ";"), EmptyBodySHA256)
	want := "POST\n/\nImageFormat=qcow2&ImageId=m-bp1abc&OSSBucket=my%20bucket%2A~&OSSPrefix=&RegionId=cn-hangzhou\n" +
		"host:ecs.cn-hangzhou.aliyuncs.com\nx-acs-action:ExportImage\nx-acs-content-sha256:" + EmptyBodySHA256 + "\n" +
		"x-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n" +
		"\n" + vectorSignedHeaders + "\n" + EmptyBodySHA256
	if got != want {
		t.Errorf("canonical request =\n%s\nwant\n%s", got, want)
	}
}

func TestCanonicalRequestV3_HeaderValues(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://h/", nil)
	r.Host = "127.0.0.1:8080"
	r.Header.Add("X-Acs-Multi", " b ")
	r.Header.Add("X-Acs-Multi", "a")
	r.Header["x-acs-raw"] = []string{"raw"} // non-canonical key set by hand
	got := CanonicalRequestV3(r, []string{"host", "x-acs-multi", "x-acs-raw"}, "h")
	want := "POST\n/\n\nhost:127.0.0.1:8080\nx-acs-multi:a,b\nx-acs-raw:raw\n\nhost;x-acs-multi;x-acs-raw\nh"
	if got != want {
		t.Errorf("canonical request = %q, want %q", got, want)
	}
}

func TestParseV3_Vectors(t *testing.T) {
	for _, vec := range []v3Vector{sdkV3, docV3} {
		a, err := ParseV3(vec.signed(t), nil)
		if err != nil {
			t.Fatalf("ParseV3: %v", err)
		}
		if !a.Verify(vec.secret) {
			t.Errorf("Verify(%q) = false, want true", vec.secret)
		}
		if a.Verify(vec.secret + "x") {
			t.Error("Verify(wrong secret) = true, want false")
		}
		if err := a.Check("nope"); codeOf(err) != CodeSignatureDoesNotMatch {
			t.Errorf("Check(wrong) code = %q, want %q", codeOf(err), CodeSignatureDoesNotMatch)
		}
		if a.AccessKeyID != vec.keyID || a.Nonce != vec.nonce || a.Timestamp.Format(TimeLayout) != vec.date ||
			a.Action != vec.action || a.Version != "2014-05-26" || a.Scheme != SchemeV3 {
			t.Errorf("auth = %+v, want key %s nonce %s date %s", a, vec.keyID, vec.nonce, vec.date)
		}
	}
}

// TestParseV3_SignedHeadersFromRequest: the credentials-provider header the
// Go SDK adds is signed and must be taken from SignedHeaders.
func TestParseV3_SignedHeadersFromRequest(t *testing.T) {
	r := sdkV3.request(t)
	r.Header.Set(HeaderCredsProvider, "static_ak")
	SignV3(r, nil, Credentials{KeyID: "testid", Secret: "testsecret"}, time.Unix(0, 0), "n")
	if !strings.Contains(r.Header.Get("Authorization"), "x-acs-credentials-provider;x-acs-date") {
		t.Fatalf("Authorization %q does not sign x-acs-credentials-provider", r.Header.Get("Authorization"))
	}
	a, err := ParseV3(r, nil)
	if err != nil || !a.Verify("testsecret") {
		t.Fatalf("ParseV3 = %v, verify false", err)
	}
	r.Header.Set(HeaderCredsProvider, "static_sts")
	if a, err := ParseV3(r, nil); err != nil || a.Verify("testsecret") {
		t.Errorf("changed signed header still verifies (err %v)", err)
	}
}

func TestParseV3_Errors(t *testing.T) {
	good := func(t *testing.T) *http.Request { return sdkV3.signed(t) }
	tests := []struct {
		name  string
		edit  func(r *http.Request)
		body  string
		code  string
		param string
	}{
		{"no authorization", func(r *http.Request) { r.Header.Del("Authorization") }, "", CodeIncompleteSignature, ""},
		{"other algorithm", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1))
		}, "", CodeIncompleteSignature, ""},
		{"no space", func(r *http.Request) { r.Header.Set("Authorization", "ACS3-HMAC-SHA256") }, "", CodeIncompleteSignature, ""},
		{"no signature", func(r *http.Request) {
			r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host")
		}, "", CodeIncompleteSignature, ""},
		{"duplicate field", func(r *http.Request) {
			r.Header.Set("Authorization", r.Header.Get("Authorization")+",Signature=00")
		}, "", CodeIncompleteSignature, ""},
		{"host unsigned", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
		}, "", CodeIncompleteSignature, ""},
		{"x-acs header unsigned", func(r *http.Request) { r.Header.Set("X-Acs-Extra", "1") }, "", CodeIncompleteSignature, ""},
		{"no date", func(r *http.Request) { r.Header.Del(HeaderDate) }, "", CodeMissingParameter, HeaderDate},
		{"bad date", func(r *http.Request) { r.Header.Set(HeaderDate, "2024-01-01 00:00:00") }, "", CodeInvalidTimeStampFormat, HeaderDate},
		{"no nonce", func(r *http.Request) { r.Header.Del(HeaderNonce) }, "", CodeMissingParameter, HeaderNonce},
		{"no content hash", func(r *http.Request) { r.Header.Del(HeaderContentSHA256) }, "", CodeMissingParameter, HeaderContentSHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good(t)
			tt.edit(r)
			_, err := ParseV3(r, []byte(tt.body))
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("ParseV3 error = %v, want *AuthError", err)
			}
			if ae.Code != tt.code || ae.Param != tt.param {
				t.Errorf("error = (%q, %q), want (%q, %q)", ae.Code, ae.Param, tt.code, tt.param)
			}
		})
	}
}

func TestParseV3_Tampering(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *http.Request)
	}{
		{"query value", func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "qcow2", "qcow3", 1) }},
		{"query added", func(r *http.Request) { r.URL.RawQuery += "&DryRun=true" }},
		{"host", func(r *http.Request) { r.Host = "evil.example.com" }},
		{"method", func(r *http.Request) { r.Method = http.MethodGet }},
		{"path", func(r *http.Request) { r.URL.Path = "/x" }},
		{"action", func(r *http.Request) { r.Header.Set(HeaderAction, "DeleteImage") }},
		{"signature", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=e", "Signature=f", 1))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sdkV3.signed(t)
			tt.edit(r)
			a, err := ParseV3(r, nil)
			if err != nil {
				t.Fatalf("ParseV3: %v", err)
			}
			if a.Verify(sdkV3.secret) {
				t.Error("tampered request verifies")
			}
		})
	}
}

func TestParseV3_Tolerates(t *testing.T) {
	r := sdkV3.signed(t)
	// Upper-case hex, a space after commas, headers listed unsorted and in
	// mixed case are normalised, not rejected.
	authz := r.Header.Get("Authorization")
	i := strings.Index(authz, "Signature=")
	authz = authz[:i] + "Signature=" + strings.ToUpper(authz[i+len("Signature="):])
	authz = strings.Replace(authz, ",SignedHeaders="+vectorSignedHeaders,
		", SignedHeaders=x-acs-version;Host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce", 1)
	r.Header.Set("Authorization", authz)
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "my+bucket", "my%20bucket", 1)
	a, err := ParseV3(r, nil)
	if err != nil || !a.Verify(sdkV3.secret) {
		t.Fatalf("ParseV3 = %v, or does not verify", err)
	}
}

func codeOf(err error) string {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// TestAuth_VerifyV3Body: the body is checked against x-acs-content-sha256 only once the
// signature holds, and a body other than the signed one never verifies.
func TestAuth_VerifyV3Body(t *testing.T) {
	body := []byte("RegionId=cn-hangzhou")
	r := sdkV3.request(t)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	SignV3(r, body, Credentials{KeyID: "testid", Secret: "testsecret"}, time.Unix(0, 0), "n")
	a, err := ParseV3(r, body)
	if err != nil || !a.Verify("testsecret") {
		t.Fatalf("signed body: ParseV3 = %v, or it does not verify", err)
	}
	a, err = ParseV3(r, []byte("RegionId=cn-hangzhoU"))
	if err != nil {
		t.Fatalf("ParseV3 checks only the shape, got %v", err)
	}
	if a.Verify("testsecret") {
		t.Error("a changed body verifies")
	}
}
