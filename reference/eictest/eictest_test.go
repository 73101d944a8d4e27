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
