package eictest_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/exportimage/eic/reference/eictest"
)

func TestNewServer_Options(t *testing.T) {
	srv, err := eictest.NewServer(eictest.WithRealClock())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Advance(time.Second); err == nil {
		t.Error("Advance on the real clock succeeded")
	}
	res, err := srv.Client().Get(srv.OSSURL + "/eic-export/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("x-oss-request-id") == "" {
		t.Errorf("anonymous OSS request: %s, want 403 from the OSS endpoint", res.Status)
	}
	if _, err := srv.STS("nobody", time.Hour); err == nil {
		t.Error("STS for an unknown account succeeded")
	}
	srv.Close()
	if _, err := http.Get(srv.ECSURL); err == nil {
		t.Error("the ECS endpoint still answers after Close")
	}

	if _, err := eictest.NewServer(eictest.WithFixtures([]byte("accounts: [{"))); err == nil {
		t.Error("malformed fixtures accepted")
	}
}

func TestNewServer_ExtraFixtures(t *testing.T) {
	const extra = `
accounts:
  - name: extra
    id: "1000000000000098"
    keys: [{id: LTAI5tEicExtraKey000098, secret: EicExtraSecret00000000000098}]
`
	srv, err := eictest.NewServer(eictest.WithExtraFixtures([]byte(extra)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var names []string
	for _, a := range srv.Reference().Accounts() {
		names = append(names, a.Name)
	}
	if !slices.Contains(names, "extra") || !slices.Contains(names, "demo") {
		t.Errorf("accounts = %v, want the built-in ones and extra", names)
	}
}
