package eictest_test

import (
	"net/http"
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

// TestNewServer_ExtraFixtures: an extra fixtures document adds an account beside the built-in
// ones, and Reference is the embedded server that holds it.
func TestNewServer_ExtraFixtures(t *testing.T) {
	extra := []byte(`accounts:
  - name: extra
    id: "3000000000000001"
    keys: [{id: LTAI5tEicExtraKey000001, secret: EicExtraSecret}]
`)
	srv, err := eictest.NewServer(eictest.WithExtraFixtures(extra))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	names := map[string]bool{}
	for _, a := range srv.Reference().Accounts() {
		names[a.Name] = true
	}
	if !names["extra"] || !names["demo"] {
		t.Errorf("accounts %v, want extra beside demo", names)
	}
	if _, err := eictest.NewServer(eictest.WithExtraFixtures([]byte("accounts: [{"))); err == nil {
		t.Error("malformed extra fixtures accepted")
	}
}
