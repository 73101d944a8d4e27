package reference_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/exportimage/eic/reference"
)

func TestServer_ServeOSS(t *testing.T) {
	srv, err := reference.New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeOSS(ctx, l) }()
	res, err := http.Get("http://" + l.Addr().String() + "/eic-export/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("x-oss-request-id") == "" {
		t.Errorf("anonymous OSS request: %s, want 403 from the OSS endpoint", res.Status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeOSS after ctx was done = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("ServeOSS did not return after ctx was done")
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/"); err == nil {
		t.Error("the OSS endpoint still answers after ServeOSS returned")
	}
}
