package objects_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/exportimage/eic/internal/objects"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/eictest"
	"github.com/exportimage/eic/reference/oss"
)

func TestClient(t *testing.T) {
	store := oss.NewMemory()
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(store)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	for _, k := range []string{"p/1", "p/2", "q"} {
		u, _ := store.Create(ctx, "eic-export", k)
		_, _ = u.Write([]byte("content of " + k))
		if _, err := u.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := objects.New(objects.Config{Endpoint: srv.OSSURL, Region: "cn-hangzhou", PathStyle: true,
		AccessKeyID: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret})
	if err != nil {
		t.Fatal(err)
	}

	list, err := c.List(ctx, "eic-export", "p/")
	if err != nil || len(list) != 2 || list[0].Key != "p/1" || list[1].Size != int64(len("content of p/2")) {
		t.Fatalf("List: %v %+v", err, list)
	}
	head, err := c.Head(ctx, "eic-export", "q")
	if err != nil || head.Size != int64(len("content of q")) || head.ETag == "" || head.LastModified.IsZero() {
		t.Fatalf("Head: %v %+v", err, head)
	}
	for _, tc := range []struct {
		off, n int64
		want   string
	}{{0, -1, "content of q"}, {3, 4, "tent"}, {0, 0, ""}} {
		rc, err := c.Open(ctx, "eic-export", "q", tc.off, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != tc.want {
			t.Errorf("Open(%d, %d) = %q (%v), want %q", tc.off, tc.n, got, err, tc.want)
		}
	}
	if _, err := c.Open(ctx, "eic-export", "q", 100, 1); objects.Code(err) != "InvalidRange" {
		t.Errorf("range past the end: %v, want InvalidRange", err)
	}
	if err := c.Delete(ctx, "eic-export", "q"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Head(ctx, "eic-export", "q"); !errors.Is(err, objects.ErrNoSuchKey) {
		t.Errorf("Head after Delete: %v, want NoSuchKey", err)
	}
	if _, err := c.List(ctx, "eic-other", ""); !errors.Is(err, objects.ErrAccessDenied) {
		t.Errorf("other account's bucket: %v, want AccessDenied", err)
	}
	if _, err := c.List(ctx, "eic-nothere", ""); !errors.Is(err, objects.ErrNoSuchBucket) {
		t.Errorf("missing bucket: %v, want NoSuchBucket", err)
	}
	if _, err := objects.New(objects.Config{Endpoint: srv.OSSURL}); err == nil {
		t.Error("a config without region or key was accepted")
	}
}
