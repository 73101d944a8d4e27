package ossapi_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/exportimage/eic/internal/osssig"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/eictest"
	"github.com/exportimage/eic/reference/oss"
)

const (
	benchObjectSize = 256 << 20
	benchRange      = 8 << 20
)

// BenchmarkRangedGet reads 8 MiB ranges of a 256 MiB object: "oss" through the OSS
// endpoint over loopback HTTP (V4-signed GetObject with Range, directory store), "disk"
// with ReadAt from a file holding the same bytes (the peer; both warm in the page cache),
// "bare" through net/http's ServeContent of that file over loopback (the HTTP ceiling).
// Each iteration reads one range, at offsets cycling through the object. scripts/bench-oss.sh
// prints the medians and the ratio.
func BenchmarkRangedGet(b *testing.B) {
	dir := b.TempDir()
	store, err := oss.NewDir(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(store)))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	peer, err := os.Create(filepath.Join(dir, "peer"))
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	u, err := store.Create(context.Background(), "eic-export", "big")
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for written := 0; written < benchObjectSize; written += len(chunk) {
		for i := range chunk {
			chunk[i] = byte(rng.Uint32())
		}
		if _, err := u.Write(chunk); err != nil {
			b.Fatal(err)
		}
		if _, err := peer.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := u.Commit(); err != nil {
		b.Fatal(err)
	}
	offsets := benchObjectSize / benchRange
	cred := osssig.Credentials{AccessKeyID: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret}
	client := srv.Client()
	buf := make([]byte, 1<<20) // both sides read through the same 1 MiB buffer

	// rangedGets reads the ranges over HTTP from url, each request passed through sign.
	rangedGets := func(url string, c *http.Client, sign func(*http.Request)) func(*testing.B) {
		return func(b *testing.B) {
			b.SetBytes(benchRange)
			for i := 0; b.Loop(); i++ {
				off := int64(i%offsets) * benchRange
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+benchRange-1))
				sign(req)
				res, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(discard{}, res.Body, buf)
				res.Body.Close()
				if err != nil || n != benchRange || res.StatusCode != http.StatusPartialContent {
					b.Fatalf("%s: %d bytes, %v", res.Status, n, err)
				}
			}
		}
	}
	b.Run("oss", rangedGets(srv.OSSURL+"/eic-export/big", client, func(req *http.Request) {
		osssig.SignV4(req, "eic-export", "big", "cn-hangzhou", cred, time.Now())
	}))
	// "bare": the same ranged GETs against net/http's own file server of the peer file over
	// loopback (no signature, no store): the ceiling of any HTTP endpoint on this machine.
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "peer", time.Time{}, peer)
	}))
	defer bare.Close()
	b.Run("bare", rangedGets(bare.URL+"/peer", bare.Client(), func(*http.Request) {}))
	b.Run("disk", func(b *testing.B) {
		b.SetBytes(benchRange)
		for i := 0; b.Loop(); i++ {
			off := int64(i%offsets) * benchRange
			n, err := io.CopyBuffer(discard{}, io.NewSectionReader(peer, off, benchRange), buf)
			if err != nil || n != benchRange {
				b.Fatalf("%d bytes, %v", n, err)
			}
		}
	})
}

// BenchmarkListObjectsV2_100k pages through a bucket of 100 000 objects, 1 000 per page,
// with the OSS SDK v2 over loopback; one iteration is one page (ns/op is per page).
func BenchmarkListObjectsV2_100k(b *testing.B) {
	const total = 100_000
	store := oss.NewMemory()
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(store)))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	for i := range total {
		u, err := store.Create(ctx, "eic-export", fmt.Sprintf("exports/EcsExport%06d_m-eic-custom_system.raw.tar.gz", i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := u.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	c := v2Client(srv, srv.Demo, "", false)
	token := ""
	b.ReportAllocs()
	for b.Loop() {
		req := &ossv2ListRequest{Bucket: "eic-export", MaxKeys: 1000, Token: token}
		page, err := req.send(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Contents) != 1000 {
			b.Fatalf("a page of %d", len(page.Contents))
		}
		token = ""
		if page.IsTruncated {
			token = *page.NextContinuationToken
		}
	}
}

// discard is io.Discard without ReadFrom, so io.CopyBuffer uses the caller's buffer.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
