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
	"sort"
	"strings"
	"time"

	"github.com/exportimage/eic/reference/api"
	"github.com/exportimage/eic/reference/ecs"
	"github.com/exportimage/eic/reference/journal"
	"github.com/exportimage/eic/reference/oss"
	"github.com/exportimage/eic/reference/ossapi"
)

// Server is the reference ECS endpoint: the ECS RPC API at "/" and the control API at
// "/_reference/". It is an http.Handler; HTTPServer wraps it with sensible timeouts.
// OSS is the second endpoint, serving the same accounts' buckets over the OSS API.
type Server struct {
	svc     *ecs.Service
	ecsAPI  http.Handler // the api.Handler, wrapped by mutants and variants if any
	ossAPI  *ossapi.Handler
	control *api.Control
	token   string
	closers []func() error // run after the domain is closed (the state file)
}

// Option configures New.
type Option func(*config) error

type config struct {
	ecsOpts  []ecs.Option
	apiOpts  []api.Option
	token    string
	extend   [][]byte
	mutants  []mutant
	variants []mutant
	log      io.Writer
	logEntry func(api.Entry)
	closers  []func() error
	clock    ecs.Clock // the domain clock, if set
	stateDir string
	ossOpts  []ossapi.Option
}

// WithClock sets the domain clock (default real).
func WithClock(c ecs.Clock) Option {
	return func(c2 *config) error { c2.clock = c; c2.ecsOpts = append(c2.ecsOpts, ecs.WithClock(c)); return nil }
}

// WithVirtualClock runs tasks on a virtual clock starting at start: they move only when the
// control API advances it. Signatures are still checked against the wall clock.
func WithVirtualClock(start time.Time) Option { return WithClock(ecs.NewVirtualClock(start)) }

// WithStore sets the object store (default in memory).
func WithStore(s oss.Store) Option {
	return func(c *config) error { c.ecsOpts = append(c.ecsOpts, ecs.WithStore(s)); return nil }
}

// WithStateDir keeps everything in dir so that it survives a restart, a clean stop as well
// as a kill -9: the objects in an oss.Dir store (one directory per bucket, one file per
// object named after its key), and the tasks, quota overrides and a virtual clock's time in
// the bbolt file dir/.eic-state.db (reference/journal). A server started again on the same
// dir serves the same objects and answers the same DescribeTasks; exports that were in flight
// resume and none of their objects is visible before they finish. Only one process may use
// dir at a time: New fails with journal.ErrInUse for the second.
func WithStateDir(dir string) Option {
	return func(c *config) error { c.stateDir = dir; return nil }
}

// openStateDir opens the journal (first: its lock guards the directory) and the object store
// of WithStateDir, the store on the domain clock so object times match task times.
func openStateDir(c *config) error {
	j, err := journal.Open(c.stateDir)
	if err != nil {
		return err
	}
	c.closers = append(c.closers, j.Close)
	var opts []oss.Option
	if c.clock != nil {
		opts = append(opts, oss.WithClock(c.clock.Now))
	}
	st, err := oss.NewDir(c.stateDir, opts...)
	if err != nil {
		return fmt.Errorf("reference: store: %w", err)
	}
	c.ecsOpts = append(c.ecsOpts, ecs.WithStore(st), ecs.WithJournal(j))
	return nil
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

// WithNoncesPerAccount sets each account's share of the replay cache (default
// api.DefaultNoncesPerAccount); an account over it is throttled.
func WithNoncesPerAccount(n int) Option {
	return func(c *config) error { c.apiOpts = append(c.apiOpts, api.WithNoncesPerAccount(n)); return nil }
}

// WithLog writes one line per request to w.
func WithLog(w io.Writer) Option { return func(c *config) error { c.log = w; return nil } }

// WithStrictParams refuses a parameter that no official SDK model of the action defines
// (InvalidParameter naming it). By default such a parameter is ignored and named in the
// request log (ignored=…), as a lenient cloud would; the suite's and the fuzzer's embedded
// references are strict so that the @assumption scenario for unknown parameters holds there.
func WithStrictParams() Option {
	return func(c *config) error { c.apiOpts = append(c.apiOpts, api.WithStrictParams()); return nil }
}

// New builds a server. With no options it is hermetic: built-in fixtures, memory store, real
// clock, a random control token.
func New(opts ...Option) (*Server, error) {
	var cfg config
	srv, err := build(&cfg, opts)
	if err != nil {
		for _, c := range cfg.closers {
			_ = c() // the error that stopped New is the one to report
		}
		return nil, err
	}
	srv.closers = cfg.closers
	return srv, nil
}

func build(cfg *config, opts []Option) (*Server, error) {
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.stateDir != "" {
		if err := openStateDir(cfg); err != nil {
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
	svc, err := ecs.Open(cfg.ecsOpts...)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	for _, doc := range cfg.extend {
		if err := svc.LoadFixtures(doc, true); err != nil {
			svc.Close()
			return nil, fmt.Errorf("reference: extra fixtures: %w", err)
		}
	}
	backend := api.Backend{Svc: svc}
	actions := backend.Actions()
	wrap := &wrappers{svc: svc, creds: backend, actions: actions}
	for _, m := range append(cfg.mutants, cfg.variants...) {
		m.apply(wrap)
	}
	wrap.finish()
	apiOpts := append(cfg.apiOpts, api.WithFaults(svc.TakeRequestFault))
	if cfg.log != nil {
		w := cfg.log
		apiOpts = append(apiOpts, api.WithLog(func(e api.Entry) {
			code := e.Code
			if code == "" {
				code = "-"
			}
			ignored := ""
			if len(e.Ignored) > 0 {
				sort.Strings(e.Ignored)
				ignored = " ignored=" + strings.Join(e.Ignored, ",")
			}
			fmt.Fprintf(w, "%s %s %s %s account=%s status=%d code=%s %s%s\n", e.Time.UTC().Format(time.RFC3339),
				e.RequestID, e.Method, or(e.Action, "-"), or(e.Account, "-"), e.Status, code, e.Duration.Round(time.Microsecond), ignored)
		}))
		cfg.ossOpts = append(cfg.ossOpts, ossapi.WithLog(func(e ossapi.Entry) {
			code := e.Code
			if code == "" {
				code = "-"
			}
			fmt.Fprintf(w, "%s %s %s oss:%s /%s/%s account=%s status=%d code=%s %s\n", e.Time.UTC().Format(time.RFC3339),
				e.RequestID, e.Method, or(e.Op, "-"), e.Bucket, e.Key, or(e.Account, "-"), e.Status, code, e.Duration.Round(time.Microsecond))
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
	return &Server{svc: svc, ecsAPI: wrap.handle(h), ossAPI: ossapi.New(svc, cfg.ossOpts...), control: ctl, token: cfg.token}, nil
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

// OSS is the OSS endpoint (package ossapi): the buckets exports write into, with the same
// access keys and STS tokens as the ECS API. Serve it on an address of its own
// (OSSHTTPServer); it accepts path-style and virtual-hosted ("bucket.host") requests.
func (s *Server) OSS() http.Handler { return s.ossAPI }

// OSSHTTPServer wraps the OSS endpoint in an http.Server. It sets no write timeout, so a
// multi-GiB object can stream to a slow reader; idle connections still time out.
func (s *Server) OSSHTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.ossAPI,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// ControlToken is the bearer token of the control API.
func (s *Server) ControlToken() string { return s.token }

// Accounts lists the accounts and their access keys (the demo credentials among them).
func (s *Server) Accounts() []ecs.AccountInfo { return s.svc.Accounts() }

// Close stops every task and returns the IDs of those still in flight; with WithStateDir
// their state is saved first and the state file released.
func (s *Server) Close() []string {
	ids := s.svc.Close()
	for _, c := range s.closers {
		_ = c() // every change was saved (and fsynced) before Close returned
	}
	s.closers = nil
	return ids
}

// StateErr reports the last failure to save the state (WithStateDir), nil if none.
func (s *Server) StateErr() error { return s.svc.JournalErr() }

// Advance moves a virtual clock (WithVirtualClock) forward by d; every task has progressed
// as far as the new time allows when it returns. With the real clock it fails.
func (s *Server) Advance(d time.Duration) (time.Time, error) { return s.svc.Advance(d) }

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
// to 10 s, after which their contexts are cancelled, so long work such as a checksum stops)
// and closes the domain; it returns the IDs of tasks interrupted.
func (s *Server) Serve(ctx context.Context, l net.Listener) ([]string, error) {
	hs := s.HTTPServer(l.Addr().String())
	base, stopRequests := context.WithCancel(context.Background())
	defer stopRequests()
	hs.BaseContext = func(net.Listener) context.Context { return base }
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
	if err != nil {
		stopRequests() // the grace period is over: in-flight requests stop their work
		_ = hs.Close()
	}
	<-errc
	return s.Close(), err
}
