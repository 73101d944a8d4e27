package osssig

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/signer"
)

const (
	testID     = "LTAI5tEicDemoKey0000001"
	testSecret = "EicDemoSecret00000000000000001"
)

func ptr(s string) *string { return &s }

// sdkSigned signs a request with the OSS SDK v2's own signers, the peer this package
// must agree with.
func sdkSigned(t *testing.T, s signer.Signer, method, rawURL, bucket, key string, query bool, tok string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("x-oss-meta-note", "  hello ")
	r.Header.Set("Content-Type", "application/octet-stream")
	sc := &signer.SigningContext{
		Product: ptr("oss"), Region: ptr("cn-hangzhou"), Request: r,
		Credentials:     &credentials.Credentials{AccessKeyID: testID, AccessKeySecret: testSecret, SecurityToken: tok},
		AuthMethodQuery: query,
	}
	if bucket != "" {
		sc.Bucket = ptr(bucket)
	}
	if key != "" {
		sc.Key = ptr(key)
	}
	if query {
		sc.Time = time.Now().Add(10 * time.Minute)
	}
	if err := s.Sign(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	// What the server receives: the URL re-parsed from the wire.
	u, err := url.Parse(r.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	r.URL = u
	return r
}

func TestParse_AgreesWithSDK(t *testing.T) {
	cases := []struct {
		name        string
		s           signer.Signer
		query       bool
		scheme      Scheme
		rawURL      string
		bucket, key string
	}{
		{"v1 header object", &signer.SignerV1{}, false, SchemeV1, "http://h/eic-export/a%20b/c+d.raw.tar.gz", "eic-export", "a b/c+d.raw.tar.gz"},
		{"v1 header list", &signer.SignerV1{}, false, SchemeV1, "http://h/eic-export/?continuation-token=abc&list-type=2&prefix=a%2Fb", "eic-export", ""},
		{"v1 header bucketInfo", &signer.SignerV1{}, false, SchemeV1, "http://h/eic-export/?bucketInfo", "eic-export", ""},
		{"v1 presigned", &signer.SignerV1{}, true, SchemeV1, "http://h/eic-export/x_m-1_system.raw.tar.gz", "eic-export", "x_m-1_system.raw.tar.gz"},
		{"v4 header object", &signer.SignerV4{}, false, SchemeV4, "http://h/eic-export/%E4%B8%AD/%2Bx", "eic-export", "中/+x"},
		{"v4 header list", &signer.SignerV4{}, false, SchemeV4, "http://h/eic-export/?encoding-type=url&list-type=2&max-keys=10&prefix=a%20b", "eic-export", ""},
		{"v4 header service", &signer.SignerV4{}, false, SchemeV4, "http://h/", "", ""},
		{"v4 presigned", &signer.SignerV4{}, true, SchemeV4, "http://h/eic-export/k%20ey", "eic-export", "k ey"},
	}
	for _, c := range cases {
		for _, tok := range []string{"", "sts-token+/="} {
			t.Run(c.name+"/token="+tok, func(t *testing.T) {
				r := sdkSigned(t, c.s, http.MethodGet, c.rawURL, c.bucket, c.key, c.query, tok)
				a, err := Parse(r, c.bucket, c.key)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if a.Scheme != c.scheme || a.Presigned != c.query || a.AccessKeyID != testID || a.SecurityToken != tok {
					t.Fatalf("got %s presigned=%v id=%q token=%q", a.Scheme, a.Presigned, a.AccessKeyID, a.SecurityToken)
				}
				if !a.Verify(testSecret) {
					t.Fatalf("Verify = false; server string to sign:\n%s", a.StringToSign)
				}
				if a.Verify(testSecret + "x") {
					t.Fatal("Verify with the wrong secret = true")
				}
				if err := a.CheckTime(time.Now()); err != nil {
					t.Fatalf("CheckTime(now): %v", err)
				}
				if err := a.CheckTime(time.Now().Add(20 * time.Minute)); !errors.Is(err, ErrSkewed) && !errors.Is(err, ErrExpired) {
					t.Fatalf("CheckTime(now+20m) = %v, want skewed or expired", err)
				}
				// Another key or method than signed must not verify.
				if c.bucket != "" {
					a2, err := Parse(r, c.bucket, c.key+"x")
					if err != nil || a2.Verify(testSecret) {
						t.Fatalf("another key verified (err %v)", err)
					}
				}
				r.Method = http.MethodDelete
				if a3, err := Parse(r, c.bucket, c.key); err != nil || a3.Verify(testSecret) {
					t.Fatalf("another method verified (err %v)", err)
				}
			})
		}
	}
}

func TestSign_RoundTrip(t *testing.T) {
	c := Credentials{AccessKeyID: testID, AccessKeySecret: testSecret}
	now := time.Now()
	for _, tc := range []struct {
		name string
		sign func(r *http.Request)
	}{
		{"SignV1", func(r *http.Request) { SignV1(r, "b-1", "k/ey", c, now) }},
		{"SignV4", func(r *http.Request) { SignV4(r, "b-1", "k/ey", "cn-hangzhou", c, now) }},
		{"PresignV1", func(r *http.Request) { PresignV1(r, "b-1", "k/ey", c, now.Add(time.Minute)) }},
		{"PresignV4", func(r *http.Request) { PresignV4(r, "b-1", "k/ey", "cn-hangzhou", c, now, time.Minute) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://h/b-1/k/ey?x-oss-process=a", nil)
			tc.sign(r)
			a, err := Parse(r, "b-1", "k/ey")
			if err != nil || !a.Verify(testSecret) || a.CheckTime(now) != nil {
				t.Fatalf("err %v; string to sign:\n%s", err, a.StringToSign)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string
		query  string
		want   error
	}{
		{"anonymous", "", "", ErrAnonymous},
		{"unknown scheme", "Bearer x", "", ErrMalformed},
		{"v1 without colon", "OSS abc", "", ErrMalformed},
		{"v4 without signature", "OSS4-HMAC-SHA256 Credential=a/20260101/r/oss/aliyun_v4_request", "", ErrMalformed},
		{"v4 bad scope", "OSS4-HMAC-SHA256 Credential=a/x,Signature=00", "", ErrMalformed},
		{"v1 presign without expiry", "", "OSSAccessKeyId=a&Signature=b", ErrMalformed},
		{"v4 presign too long", "", "x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-signature=a&x-oss-credential=a/20260101/r/oss/aliyun_v4_request&x-oss-date=20260101T000000Z&x-oss-expires=604801", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://h/b/k?"+tc.query, nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			if _, err := Parse(r, "b", "k"); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
