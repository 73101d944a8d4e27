package reference

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// HTTPClient returns a client that reaches the ECS API and the control API in process, without
// a socket, whatever host its requests name (as fake-gcs-server's Server.HTTPClient does).
// Responses stream as the handler writes them; close each body, as with any client.
func (s *Server) HTTPClient() *http.Client { return inProcessClient(s) }

// OSSHTTPClient is HTTPClient for the OSS endpoint (Server.OSS); a request's host still tells
// path-style from virtual-hosted addressing ("bucket.host").
func (s *Server) OSSHTTPClient() *http.Client { return inProcessClient(s.ossAPI) }

func inProcessClient(h http.Handler) *http.Client {
	return &http.Client{Transport: inProcess{h}, Timeout: 5 * time.Minute}
}

// inProcess is an http.RoundTripper that serves each request with a handler on a goroutine of
// its own. RoundTrip returns once the handler has written its header (or returned); the
// response body is a pipe the handler writes into, so a handler blocks while the client does
// not read, and its writes fail once the client closes the body.
type inProcess struct{ h http.Handler }

// errHandlerPanic is what a client sees of a handler that panicked (an http.Server would drop
// the connection).
var errHandlerPanic = errors.New("reference: in-process handler panicked")

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context()) // the server's view of the request
	u := *req.URL
	u.Scheme, u.Host, u.User = "", "", nil
	r.URL, r.RequestURI, r.RemoteAddr = &u, req.URL.RequestURI(), "127.0.0.1:0"
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	pr, pw := io.Pipe()
	w := &pipeResponse{header: http.Header{}, body: pw, ready: make(chan struct{})}
	go func() {
		defer func() {
			if req.Body != nil {
				req.Body.Close() // a RoundTripper closes the request body
			}
			if p := recover(); p != nil {
				err := fmt.Errorf("%w: %v", errHandlerPanic, p)
				w.fail(err)
				pw.CloseWithError(err)
				return
			}
			w.WriteHeader(http.StatusOK) // a handler that wrote nothing answers 200
			pw.Close()
		}()
		t.h.ServeHTTP(w, r)
	}()
	select {
	case <-w.ready:
	case <-req.Context().Done():
		pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	if w.err != nil {
		return nil, w.err
	}
	resp := &http.Response{
		Status:     fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.sent, Body: pr, ContentLength: -1, Request: req,
	}
	if n, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil {
		resp.ContentLength = n
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
		pr.Close()
	}
	return resp, nil
}

// pipeResponse is the handler's side of an in-process exchange.
type pipeResponse struct {
	header http.Header
	body   *io.PipeWriter

	once   sync.Once
	ready  chan struct{} // closed once status and sent (or err) are set
	status int
	sent   http.Header // the header as it was when the status was written
	err    error
}

func (w *pipeResponse) Header() http.Header { return w.header }

func (w *pipeResponse) WriteHeader(status int) {
	w.once.Do(func() {
		w.status, w.sent = status, w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush is a no-op: every Write already waits for the client to read it.
func (w *pipeResponse) Flush() { w.WriteHeader(http.StatusOK) }

func (w *pipeResponse) fail(err error) {
	w.once.Do(func() {
		w.err = err
		close(w.ready)
	})
}
