package reference

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/exportimage/eic/reference/api"
	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/reference/oss"
)

// Server is the reference ECS endpoint: the ECS RPC API at "/" and the control API at
// "/_reference/". It is an http.Handler; HTTPServer wraps it with sensible timeouts.
type Server struct {
	svc     *ecs.Service
	ecsAPI  *api.Handler
	control *api.Control
	token   string
}

// Option configures New.
type Option func(*config) error

type config struct {
	ecsOpts  []ecs.Option
	apiOpts  []api.Option
	token    string
	extend   [][]byte
	mutants  []string
	variants []string
	log      io.Writer
	logEntry func(api.Entry)
}

// WithClock sets the domain clock (default real).
func WithClock(c ecs.Clock) Option {
	return func(c2 *config) error { c2.ecsOpts = append(c2.ecsOpts, ecs.WithClock(c)); return nil }
}

// WithVirtualClock runs tasks on a virtual clock starting at start: they move only when the
// control API advances it. Signatures are still checked against the wall clock.
func WithVirtualClock(start time.Time) Option { return WithClock(ecs.NewVirtualClock(start)) }

// WithStore sets the object store (default in memory).
func WithStore(s oss.Store) Option {
	return func(c *config) error { c.ecsOpts = append(c.ecsOpts, ecs.WithStore(s)); return nil }
}

// WithFixtures replaces the built-in fixtures with a YAML or JSON document.
func WithFixtures(doc []byte) Option {
	return func(c *config) error {
		f, err := ecs.ParseFixtures(doc)
		if err != nil {
			return err
		}
		c.ecsOpts = append(c.ecsOpts, ecs.WithFixtures(f))
		return nil
	}
}

// WithExtraFixtures lays a YAML or JSON fixtures document over the loaded ones (more
// accounts, keys, images…); it may be given several times.
func WithExtraFixtures(doc []byte) Option {
	return func(c *config) error { c.extend = append(c.extend, doc); return nil }
}

// WithSeed seeds task IDs and STS credentials.
func WithSeed(seed int64) Option {
	return func(c *config) error { c.ecsOpts = append(c.ecsOpts, ecs.WithSeed(seed)); return nil }
}

// WithExportSpeed sets the export pace in bytes of disk data per second of clock.
func WithExportSpeed(bytesPerSecond int64) Option {
	return func(c *config) error {
		c.ecsOpts = append(c.ecsOpts, ecs.WithExportSpeed(bytesPerSecond))
		return nil
	}
}

// WithControlToken sets the control API's bearer token (default: random, see ControlToken).
func WithControlToken(token string) Option {
	return func(c *config) error {
		if token == "" {
			return errors.New("reference: empty control token")
		}
		c.token = token
		return nil
	}
}

// WithLog writes one line per request to w.
func WithLog(w io.Writer) Option { return func(c *config) error { c.log = w; return nil } }

// WithWallClock sets the clock signatures are checked against (tests of the time window).
func WithWallClock(now func() time.Time) Option {
	return func(c *config) error { c.apiOpts = append(c.apiOpts, api.WithWallClock(now)); return nil }
}

// New builds a server. With no options it is hermetic: built-in fixtures, memory store, real
// clock, a random control token.
func New(opts ...Option) (*Server, error) {
	var cfg config
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.token == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		cfg.token = "eic-" + hex.EncodeToString(b[:])
	}
	svc := ecs.New(cfg.ecsOpts...)
	for _, doc := range cfg.extend {
		if err := svc.LoadFixtures(doc, true); err != nil {
			svc.Close()
			return nil, fmt.Errorf("reference: extra fixtures: %w", err)
		}
	}
	backend := api.Backend{Svc: svc}
	actions := backend.Actions()
	hooks := api.Hooks{Fault: svc.TakeRequestFault}
	for _, name := range cfg.mutants {
		mutants[name].apply(svc, actions, &hooks)
	}
	for _, name := range cfg.variants {
		variants[name].apply(svc, actions, &hooks)
	}
	apiOpts := append(cfg.apiOpts, api.WithHooks(hooks))
	if cfg.log != nil {
		w := cfg.log
		apiOpts = append(apiOpts, api.WithLog(func(e api.Entry) {
			code := e.Code
			if code == "" {
				code = "-"
			}
			fmt.Fprintf(w, "%s %s %s %s account=%s status=%d code=%s %s\n", e.Time.UTC().Format(time.RFC3339),
				e.RequestID, e.Method, or(e.Action, "-"), or(e.Account, "-"), e.Status, code, e.Duration.Round(time.Microsecond))
		}))
	}
	h, err := api.New(backend, actions, apiOpts...)
	if err != nil {
		svc.Close()
		return nil, err
	}
	ctl, err := api.NewControl(svc, cfg.token)
	if err != nil {
		svc.Close()
		return nil, err
	}
	return &Server{svc: svc, ecsAPI: h, control: ctl, token: cfg.token}, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ServeHTTP routes the control API and the ECS API apart.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, api.ControlPrefix) {
		s.control.ServeHTTP(w, r)
		return
	}
	s.ecsAPI.ServeHTTP(w, r)
}

// ControlToken is the bearer token of the control API.
func (s *Server) ControlToken() string { return s.token }

// Accounts lists the accounts and their access keys (the demo credentials among them).
func (s *Server) Accounts() []ecs.AccountInfo { return s.svc.Accounts() }

// Close stops every task and returns the IDs of those still in flight.
func (s *Server) Close() []string { return s.svc.Close() }

// HTTPServer wraps the handler in an http.Server with timeouts suited to an API mock.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // object downloads from the control API
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves on l until ctx is done, then shuts down gracefully (in-flight requests get up
// to 10 s) and closes the domain; it returns the IDs of tasks interrupted.
func (s *Server) Serve(ctx context.Context, l net.Listener) ([]string, error) {
	hs := s.HTTPServer(l.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return s.Close(), err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	return s.Close(), err
}
