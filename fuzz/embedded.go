package fuzz

import (
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/exportimage/eic/internal/control"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/spec"
)

// Embedded is the reference server run for fuzzing: a virtual clock (tasks move only when
// the fuzzer says so) and a known control token.
type Embedded struct {
	Server  *reference.Server
	http    *httptest.Server
	mutants []string
	workers []*Embedded // started by Worker, closed with this one
}

// EmbeddedStart is the virtual clock's start for embedded runs.
var EmbeddedStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// NewEmbedded starts the reference with the given mutants (none for the real thing).
func NewEmbedded(mutants ...string) (*Embedded, error) {
	opts := []reference.Option{reference.WithVirtualClock(EmbeddedStart), reference.WithSeed(1), reference.WithStrictParams(),
		reference.WithControlToken("eic-fuzz")}
	for _, m := range mutants {
		opts = append(opts, reference.WithMutant(m))
	}
	srv, err := reference.New(opts...)
	if err != nil {
		return nil, err
	}
	return &Embedded{Server: srv, mutants: mutants}, nil
}

// Session is a session with the embedded reference: in process (loopback false) or over a
// loopback socket.
func (e *Embedded) Session(loopback bool) *Session {
	endpoint := "http://eic.invalid"
	var s *Session
	if loopback {
		if e.http == nil {
			e.http = httptest.NewServer(e.Server)
		}
		endpoint = e.http.URL
		tr := e.http.Client().Transport
		s = &Session{Endpoint: endpoint, Transport: tr}
	} else {
		s = &Session{Endpoint: endpoint, Transport: HandlerTransport{Handler: e.Server}}
	}
	s.World, s.Spec = DefaultWorld(), spec.MustLoad()
	s.Control = &control.Client{Base: endpoint, Token: e.Server.ControlToken(), HTTP: &http.Client{Transport: s.Transport, Timeout: 5 * time.Minute}}
	s.Timeout = 10 * time.Second
	return s
}

// Worker starts another reference like this one (the same mutants, its own state) for one
// more worker of a parallel run (Config.NewSession), and returns a session with it; Close
// stops it too.
func (e *Embedded) Worker(loopback bool) (*Session, error) {
	w, err := NewEmbedded(e.mutants...)
	if err != nil {
		return nil, err
	}
	e.workers = append(e.workers, w)
	return w.Session(loopback), nil
}

// Close stops the server and those of its workers.
func (e *Embedded) Close() {
	for _, w := range e.workers {
		w.Close()
	}
	e.workers = nil
	if e.http != nil {
		e.http.Close()
	}
	e.Server.Close()
}
