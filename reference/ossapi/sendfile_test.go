package ossapi_test

import (
	"bytes"
	"context"
	"io"
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

// readFromRecorder is a ResponseWriter with ReadFrom, as net/http's is: it records what
// the handler hands to ReadFrom, the reader net/http passes on to the TCP connection.
type readFromRecorder struct {
	*httptest.ResponseRecorder
	src   []io.Reader
	bytes int64
}

func (w *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	w.src = append(w.src, src)
	n, err := io.Copy(w.ResponseRecorder.Body, src)
	w.bytes += n
	return n, err
}

// TestGetObject_SendsTheFile: a ranged GetObject of a file-backed object hands net/http a
// reader its TCP connection sends with sendfile (an *os.File, or an *io.LimitedReader of
// one), so the body never passes through a user-space buffer; the bytes are the range's.
func TestGetObject_SendsTheFile(t *testing.T) {
	store, err := oss.NewDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(store)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	u, err := store.Create(context.Background(), "eic-export", "big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	cred := osssig.Credentials{AccessKeyID: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret}
	for _, c := range []struct {
		rng      string
		from, to int
		status   int
	}{
		{"bytes=1000-2099999", 1000, 2100000, http.StatusPartialContent},
		{"bytes=-5000", len(data) - 5000, len(data), http.StatusPartialContent},
		{"", 0, len(data), http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/eic-export/big", nil)
		if c.rng != "" {
			req.Header.Set("Range", c.rng)
		}
		osssig.SignV4(req, "eic-export", "big", "cn-hangzhou", cred, time.Now())
		w := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
		srv.Reference().OSS().ServeHTTP(w, req)
		if w.Code != c.status || !bytes.Equal(w.Body.Bytes(), data[c.from:c.to]) {
			t.Fatalf("Range %q: %d with %d bytes, want %d with bytes [%d,%d): %s", c.rng, w.Code, w.Body.Len(), c.status, c.from, c.to, w.Body.Bytes()[:min(w.Body.Len(), 200)])
		}
		if len(w.src) != 1 || w.bytes != int64(c.to-c.from) {
			t.Fatalf("Range %q: ReadFrom called %d times for %d of %d bytes; the body should go through it once", c.rng, len(w.src), w.bytes, c.to-c.from)
		}
		src := w.src[0]
		if l, ok := src.(*io.LimitedReader); ok {
			src = l.R
		}
		if _, ok := src.(*os.File); !ok {
			t.Fatalf("Range %q: the body is handed to ReadFrom as %T, which net/http cannot sendfile", c.rng, w.src[0])
		}
	}
}
