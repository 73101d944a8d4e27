package endpoint

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"ecs.cn-hangzhou.aliyuncs.com":  "https://ecs.cn-hangzhou.aliyuncs.com",
		"127.0.0.1:8080":                "https://127.0.0.1:8080",
		"http://127.0.0.1:8080/":        "http://127.0.0.1:8080",
		"https://ecs.aliyuncs.com/api/": "https://ecs.aliyuncs.com/api",
	} {
		got, err := URL(raw)
		if err != nil || got != want {
			t.Errorf("URL(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "http://", "http://host/?a=1", "http://bad host"} {
		if got, err := URL(raw); err == nil {
			t.Errorf("URL(%q) = %q, want an error", raw, got)
		}
	}
}

func TestOpen(t *testing.T) {
	ref := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_reference/health": // needs no token, as on the reference
			w.Write([]byte(`{"ok":true}`))
		case r.URL.Path == "/":
			http.Error(w, "any status will do", http.StatusBadRequest)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ref.Close()
	ctx := context.Background()

	ep, err := Open(ctx, ref.URL+"/", Options{})
	if err != nil || ep.URL != ref.URL || ep.Control != nil {
		t.Fatalf("Open without a token = %+v, %v; want %s and no control API", ep, err, ref.URL)
	}
	ep, err = Open(ctx, ref.URL, Options{Token: "tok"})
	if err != nil || ep.Control == nil || ep.Control.Base != ref.URL {
		t.Fatalf("Open with a token = %+v, %v; want a control API at %s", ep, err, ref.URL)
	}
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	if _, err := Open(ctx, plain.URL, Options{Token: "tok"}); err == nil || !strings.Contains(err.Error(), "no reference control API") {
		t.Errorf("Open of a server that is no reference, with a token: error %v, want no reference control API", err)
	}
	if _, err := Open(ctx, "http://127.0.0.1:1", Options{}); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("Open of a closed port: error %v, want unreachable", err)
	}
	if _, err := Open(ctx, strings.TrimPrefix(ref.URL, "http://"), Options{}); err == nil || !strings.Contains(err.Error(), "write http://") {
		t.Errorf("Open of a plain-HTTP server given as a bare host: error %v, want the https hint", err)
	}
}

func TestEnvKey(t *testing.T) {
	env := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_SECURITY_TOKEN": "tok"}
	if _, ok := EnvKey(func(k string) string { return env[k] }); ok {
		t.Error("EnvKey without a secret: ok, want not ok")
	}
	env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "secret"
	if got, ok := EnvKey(func(k string) string { return env[k] }); !ok || got != (Key{ID: "id", Secret: "secret", SecurityToken: "tok"}) {
		t.Errorf("EnvKey = %+v, %v; want id, secret, tok", got, ok)
	}
}
