package acs

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestPercentEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"my bucket*~", "my%20bucket%2A~"},
		{"a+b/c:d=e&f", "a%2Bb%2Fc%3Ad%3De%26f"},
		{"é", "%C3%A9"},
		{"\xff", "%FF"},
	}
	for _, tt := range tests {
		if got := PercentEncode(tt.in); got != tt.want {
			t.Errorf("PercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalQueryString(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1&a", "a=&a=1&a=2"},
		{"OSSBucket=my+bucket%2A~", "OSSBucket=my%20bucket%2A~"},
		{"Tag.1.Key=k&Tag.1.Value=%7E", "Tag.1.Key=k&Tag.1.Value=~"},
		{"x=%zz&y=1", "y=1"}, // malformed pair dropped, as ParseForm drops it
	}
	for _, tt := range tests {
		if got, _ := CanonicalQueryString(tt.raw); got != tt.want {
			t.Errorf("CanonicalQueryString(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
	if _, err := CanonicalQueryString("x=%zz"); err == nil {
		t.Error("malformed query: no error reported")
	}
}

func TestRequestParams(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://h/?a=1&b=2", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	got, err := RequestParams(r, []byte("a=3&c=4"))
	want := url.Values{"a": {"1", "3"}, "b": {"2"}, "c": {"4"}}
	if err != nil || got.Encode() != want.Encode() {
		t.Errorf("RequestParams = %v, %v; want %v", got, err, want)
	}
	r.Header.Set("Content-Type", "application/json")
	if got, _ := RequestParams(r, []byte("a=3&c=4")); got.Has("c") {
		t.Errorf("non-form body parsed as params: %v", got)
	}
}

// TestPeekParams agrees with RequestParams on the first value of each name, whatever the
// escapes, skipped pairs and repeats.
func TestPeekParams(t *testing.T) {
	queries := []string{
		"AccessKeyId=a&AccessKeyId=b", "Access%4BeyId=x%20y", "AccessKeyId=%zz&AccessKeyId=ok",
		"a;b=1&AccessKeyId=k;k&AccessKeyId=k2", "&&=&AccessKeyId", "AccessKeyId=+plus+", "Format=XML&x=1",
	}
	for _, q := range queries {
		for _, body := range []string{"", "AccessKeyId=fromBody&Format=JSON"} {
			r := httptest.NewRequest(http.MethodPost, "/?"+q, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			full, _ := RequestParams(r, []byte(body))
			peek := PeekParams(r, []byte(body), "AccessKeyId", "Format", "Missing")
			for _, name := range []string{"AccessKeyId", "Format", "Missing"} {
				if _, ok := full[name]; ok != (peek[name] != nil) || full.Get(name) != peek.Get(name) {
					t.Errorf("query %q body %q: %s peeked %q, RequestParams %q", q, body, name, peek[name], full[name])
				}
			}
		}
	}
}
