// Package eictest starts the reference ECS and OSS endpoints inside a Go test, the way
// fake-gcs-server's fakestorage.NewServer does for GCS: point the official SDKs at
// ECSEndpoint and OSSURL with the demo credentials, drive the virtual clock with
// Advance, and Close at the end.
//
//	srv, err := eictest.NewServer()
//	if err != nil { t.Fatal(err) }
//	defer srv.Close()
//	// ECS SDK v7: Config{Endpoint: srv.ECSEndpoint, Protocol: "http",
//	//   AccessKeyId: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret}
//	// OSS SDK v2: WithEndpoint(srv.OSSURL), WithUsePathStyle(true), WithRegion("cn-hangzhou")
//
// The server listens on loopback ports of its own (two httptest servers), so
// any HTTP client reaches it; Client returns one with sensible timeouts. (To use no socket
// at all, start reference.New directly: its HTTPClient and OSSHTTPClient serve requests in
// process.) With no options it
// is hermetic: the built-in fixtures (docs/reference.md), a memory store, and a virtual
// clock starting at 2026-01-01T00:00:00Z, so exports finish only when the test calls
// Advance.
package eictest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/ecs"
)

// Credentials is an access key pair of the reference's fixtures.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
}

// The built-in fixtures' keys (docs/reference.md lists the rest).
var (
	// Demo owns every image and bucket that exports successfully.
	Demo = Credentials{"LTAI5tEicDemoKey0000001", "EicDemoSecret00000000000000001"}
	// Other owns image m-eic-other and bucket eic-other, for isolation tests.
	Other = Credentials{"LTAI5tEicOtherKey000002", "EicOtherSecret0000000000000002"}
)

// DefaultStart is where the virtual clock starts unless WithStart says otherwise.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Option configures NewServer.
type Option func(*config)

type config struct {
	start time.Time
	real  bool
	opts  []reference.Option
}

// WithStart starts the virtual clock at t.
func WithStart(t time.Time) Option { return func(c *config) { c.start = t } }

// WithRealClock runs tasks on the wall clock instead (Advance then fails).
func WithRealClock() Option { return func(c *config) { c.real = true } }

// WithFixtures replaces the built-in fixtures with a YAML or JSON document.
func WithFixtures(doc []byte) Option {
	return func(c *config) { c.opts = append(c.opts, reference.WithFixtures(doc)) }
}

// WithExtraFixtures lays a fixtures document over the loaded ones (more accounts,
// images, buckets…).
func WithExtraFixtures(doc []byte) Option {
	return func(c *config) { c.opts = append(c.opts, reference.WithExtraFixtures(doc)) }
}

// WithReferenceOptions passes any reference.Option through (store, seed, export speed,
// log…).
func WithReferenceOptions(opts ...reference.Option) Option {
	return func(c *config) { c.opts = append(c.opts, opts...) }
}

// Server is a running reference: the ECS API, the OSS API and the control API.
type Server struct {
	// ECSURL is the ECS API's base URL ("http://127.0.0.1:PORT"); ECSEndpoint is the same
	// without the scheme, as the SDKs' Endpoint setting wants it (with Protocol "http").
	ECSURL, ECSEndpoint string
	// OSSURL is the OSS API's base URL ("http://127.0.0.1:PORT"), for the OSS SDKs'
	// endpoint setting with path-style addressing; OSSEndpoint is the same without the
	// scheme.
	OSSURL, OSSEndpoint string
	// ControlURL is the control API's base URL (bearer ControlToken).
	ControlURL, ControlToken string
	// Demo and Other are the built-in fixtures' main keys.
	Demo, Other Credentials

	ref *reference.Server
	ecs *httptest.Server
	oss *httptest.Server
}

// NewServer starts a reference on two loopback ports.
func NewServer(opts ...Option) (*Server, error) {
	c := config{start: DefaultStart}
	for _, o := range opts {
		o(&c)
	}
	ropts := c.opts
	if !c.real {
		ropts = append([]reference.Option{reference.WithVirtualClock(c.start)}, ropts...)
	}
	ref, err := reference.New(ropts...)
	if err != nil {
		return nil, fmt.Errorf("eictest: %w", err)
	}
	s := &Server{ref: ref, ecs: httptest.NewServer(ref), oss: httptest.NewServer(ref.OSS()), Demo: Demo, Other: Other,
		ControlToken: ref.ControlToken()}
	s.ECSURL, s.OSSURL = s.ecs.URL, s.oss.URL
	s.ECSEndpoint, s.OSSEndpoint = strings.TrimPrefix(s.ECSURL, "http://"), strings.TrimPrefix(s.OSSURL, "http://")
	s.ControlURL = s.ECSURL + "/_reference/"
	return s, nil
}

// Client returns an HTTP client for both endpoints, with a generous overall timeout.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: s.ecs.Client().Transport, Timeout: 5 * time.Minute}
}

// Reference is the embedded server, for what this package does not wrap.
func (s *Server) Reference() *reference.Server { return s.ref }

// Advance moves the virtual clock forward by d; tasks have progressed when it returns.
func (s *Server) Advance(d time.Duration) error {
	_, err := s.ref.Advance(d)
	return err
}

// Close stops both listeners and every task.
func (s *Server) Close() {
	s.ecs.Close()
	s.oss.Close()
	s.ref.Close()
}

// STS issues temporary credentials (AccessKeyID, AccessKeySecret, SecurityToken) for the
// named account ("demo"…), valid for ttl of the reference's clock; both endpoints accept
// them.
func (s *Server) STS(account string, ttl time.Duration) (ecs.Token, error) {
	var tok ecs.Token
	err := s.control(http.MethodPost, "sts", map[string]string{"account": account, "ttl": ttl.String()}, &tok)
	return tok, err
}

// Disks lists an image's disks with the SHA-256 of each whole virtual disk, the figure a
// downloaded export must read back to (diskimage.Checksum).
func (s *Server) Disks(imageID string) ([]ecs.DiskInfo, error) {
	var disks []ecs.DiskInfo
	err := s.control(http.MethodGet, "images/"+imageID+"/disks", nil, &disks)
	return disks, err
}

// control calls the control API and decodes its JSON answer into out.
func (s *Server) control(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.ControlURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.ControlToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		return fmt.Errorf("eictest: control %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("eictest: control %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("eictest: control %s: %s: %s", path, resp.Status, bytes.TrimSpace(data))
	}
	return json.Unmarshal(data, out)
}
