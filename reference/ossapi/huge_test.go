package ossapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/exportimage/eic/internal/osssig"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/eictest"
	"github.com/exportimage/eic/reference/oss"
)

// hugeSize is past the 32-bit offsets (4 GiB) and more than a test could hold in memory.
const hugeSize = 5 << 30

// hugePattern repeats through the synthetic object; its odd length makes every range's
// content depend on its offset.
var hugePattern = func() []byte {
	p := make([]byte, 1<<20+7)
	for i := range p {
		p[i] = byte(i*31 + i>>8)
	}
	return p
}()

func hugeAt(off, n int64) []byte {
	out := make([]byte, 0, n)
	for int64(len(out)) < n {
		i := (off + int64(len(out))) % int64(len(hugePattern))
		out = append(out, hugePattern[i:min(int64(len(hugePattern)), i+n-int64(len(out)))]...)
	}
	return out
}

// hugeStore is a Memory store in which bucket eic-export also holds "huge", a synthetic
// 5 GiB object generated on read.
type hugeStore struct{ oss.Store }

type hugeReader struct{}

func (hugeReader) Size() int64  { return hugeSize }
func (hugeReader) Close() error { return nil }
func (hugeReader) Read([]byte) (int, error) {
	return 0, io.ErrNoProgress // the endpoint reads with ReadAt only
}
func (hugeReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= hugeSize {
		return 0, io.EOF
	}
	n := int64(len(p))
	if off+n > hugeSize {
		n = hugeSize - off
	}
	for done := int64(0); done < n; {
		i := (off + done) % int64(len(hugePattern))
		done += int64(copy(p[done:n], hugePattern[i:]))
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

func (s hugeStore) Stat(ctx context.Context, bucket, key string) (oss.Object, error) {
	if bucket == "eic-export" && key == "huge" {
		return oss.Object{Bucket: bucket, Key: key, Size: hugeSize, ETag: "0123456789abcdef0123456789abcdef", Created: time.Unix(0, 0).UTC()}, nil
	}
	return s.Store.Stat(ctx, bucket, key)
}

func (s hugeStore) Open(ctx context.Context, bucket, key string) (oss.Reader, error) {
	if bucket == "eic-export" && key == "huge" {
		return hugeReader{}, nil
	}
	return s.Store.Open(ctx, bucket, key)
}

// TestGetObject_StreamsAHugeObject: a 5 GiB object is served whole and by ranges past
// 4 GiB, and serving it all does not grow the heap by anything near its size.
func TestGetObject_StreamsAHugeObject(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 5 GiB over loopback")
	}
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(hugeStore{oss.NewMemory()})))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(method, rng string) *http.Response {
		req, _ := http.NewRequest(method, srv.OSSURL+"/eic-export/huge", nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		osssig.SignV4(req, "eic-export", "huge", "cn-hangzhou", osssig.Credentials{AccessKeyID: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret}, time.Now())
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	head := get(http.MethodHead, "")
	head.Body.Close()
	if head.Header.Get("Content-Length") != strconv.FormatInt(hugeSize, 10) {
		t.Fatalf("HEAD Content-Length %s, want %d", head.Header.Get("Content-Length"), int64(hugeSize))
	}
	for _, r := range []struct{ off, n int64 }{{0, 100}, {4<<30 + 12345, 70000}, {hugeSize - 10, 10}} {
		res := get(http.MethodGet, "bytes="+strconv.FormatInt(r.off, 10)+"-"+strconv.FormatInt(r.off+r.n-1, 10))
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusPartialContent || !bytes.Equal(got, hugeAt(r.off, r.n)) {
			t.Fatalf("range at %d: %s, %d bytes, %v", r.off, res.Status, len(got), err)
		}
	}

	if raceEnabled {
		t.Log("race detector on: the full 5 GiB GET is skipped (it takes minutes instrumented)")
		return
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := get(http.MethodGet, "")
	buf := make([]byte, 1<<20)
	var n int64
	var tail []byte
	for {
		k, err := res.Body.Read(buf)
		n += int64(k)
		if k > 0 {
			tail = append(tail[:0], buf[:k]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", n, err)
		}
	}
	res.Body.Close()
	runtime.ReadMemStats(&after)
	if n != hugeSize || !bytes.Equal(tail, hugeAt(hugeSize-int64(len(tail)), int64(len(tail)))) {
		t.Fatalf("full GET: %d bytes, want %d (or the last bytes differ)", n, int64(hugeSize))
	}
	if grown := int64(after.HeapSys) - int64(before.HeapSys); grown > 256<<20 {
		t.Errorf("the heap grew by %d MiB serving a 5 GiB object", grown>>20)
	}
}
