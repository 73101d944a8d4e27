package steps

import (
	"fmt"
	"time"

	"github.com/exportimage/eic/internal/control"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/eictest"
)

// Embedded is a reference server started in-process on loopback (real HTTP, the ECS and the
// OSS API), for eic run without --endpoint, go test and the teeth tests.
type Embedded struct {
	URL     string
	OSSURL  string // the OSS API over the reference's buckets
	Control *control.Client
	srv     *eictest.Server
}

// StartReference starts the reference server (eictest.NewServer) with a virtual clock
// starting now, to the second, strict about parameters no SDK model defines, and opts.
func StartReference(opts ...reference.Option) (*Embedded, error) {
	all := append([]reference.Option{reference.WithStrictParams()}, opts...)
	srv, err := eictest.NewServer(eictest.WithStart(time.Now().UTC().Truncate(time.Second)), eictest.WithReferenceOptions(all...))
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	return &Embedded{
		URL:     srv.ECSURL,
		OSSURL:  srv.OSSURL,
		Control: &control.Client{Base: srv.ECSURL, Token: srv.ControlToken, HTTP: srv.Client()},
		srv:     srv,
	}, nil
}

// Config returns a suite configuration for this server with the reference fixtures; the
// object steps read and delete exported objects with the OSS SDK through its OSS endpoint.
func (e *Embedded) Config() (*Config, error) {
	fx, err := ReferenceFixtures()
	if err != nil {
		return nil, err
	}
	return &Config{Endpoint: e.URL, Fixtures: fx, Control: e.Control, HTTPClient: e.srv.Client(),
		OSSEndpoint: e.OSSURL, OSSHTTPClient: e.srv.Client()}, nil
}

// Close stops the server and every task.
func (e *Embedded) Close() { e.srv.Close() }
