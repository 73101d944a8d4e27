package steps

import (
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/exportimage/eic/internal/control"
	"github.com/exportimage/eic/reference"
)

// Embedded is a reference server started in-process on loopback (real HTTP), for eic run
// without --endpoint, go test and the teeth tests.
type Embedded struct {
	URL     string
	OSSURL  string // the OSS API over the reference's buckets
	Control *control.Client
	srv     *reference.Server
	hs, oss *httptest.Server
}

// StartReference starts the reference server with a virtual clock (starting now, to the
// second) and opts on an httptest listener.
func StartReference(opts ...reference.Option) (*Embedded, error) {
	all := append([]reference.Option{reference.WithVirtualClock(time.Now().UTC().Truncate(time.Second)), reference.WithStrictParams()}, opts...)
	srv, err := reference.New(all...)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	hs := httptest.NewServer(srv)
	oss := httptest.NewServer(srv.OSS())
	return &Embedded{
		URL:     hs.URL,
		OSSURL:  oss.URL,
		Control: &control.Client{Base: hs.URL, Token: srv.ControlToken(), HTTP: hs.Client()},
		srv:     srv,
		hs:      hs,
		oss:     oss,
	}, nil
}

// Config returns a suite configuration for this server with the reference fixtures; the
// object steps read and delete exported objects with the OSS SDK through its OSS endpoint.
func (e *Embedded) Config() (*Config, error) {
	fx, err := ReferenceFixtures()
	if err != nil {
		return nil, err
	}
	return &Config{Endpoint: e.URL, Fixtures: fx, Control: e.Control, HTTPClient: e.hs.Client(),
		OSSEndpoint: e.OSSURL, OSSHTTPClient: e.oss.Client()}, nil
}

// Close stops the server; it returns the IDs of tasks still in flight.
func (e *Embedded) Close() []string {
	e.hs.Close()
	e.oss.Close()
	return e.srv.Close()
}
