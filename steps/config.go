package steps

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/exportimage/eic/internal/control"
	"github.com/exportimage/eic/spec"
)

// Config is what every scenario of one run shares; read-only once the run starts.
type Config struct {
	// Endpoint is the ECS endpoint under test, "scheme://host[:port]".
	Endpoint string
	// Signature is the default signature version, "v3" (default) or "v1".
	Signature string
	// Region fills regions.home and image regions the fixtures file leaves empty.
	Region string
	// Fixtures maps logical names to resources; nil means none (most scenarios skip).
	Fixtures *Fixtures
	// Control is the reference control API, nil for an endpoint without one. With it every
	// scenario starts with POST /_reference/reset and the client clock follows the server's.
	Control *control.Client
	// HTTPClient sends the ECS requests; nil means a client with a 60 s timeout.
	HTTPClient *http.Client
	// OSSEndpoint is the OSS endpoint objects are read and deleted through ("http://host:port"
	// or a host name); empty means the real OSS of the bucket's region, or the control API of
	// a reference (Control set). An IP address or localhost is addressed path-style.
	OSSEndpoint string
	// OSSHTTPClient sends the OSS requests; nil means the SDK's own client.
	OSSHTTPClient *http.Client
	// KeepObjects leaves the objects the run's exports created in their buckets; by default
	// each is deleted after its scenario and the report says so.
	KeepObjects bool
	// PollInterval and PollTimeout govern real-time task polling (endpoints without a virtual
	// clock); defaults 10 s and 2 h. PollStep is the clock advance between polls against the
	// reference; default 30 s.
	PollInterval, PollTimeout, PollStep time.Duration

	results   *Results
	locations map[string]string
	scenarios map[string]pickleInfo // by pickle key: stable ID, step keywords
	once      sync.Once

	clockOnce sync.Once
	virtual   bool
}

// virtualClock reports whether the endpoint has a control API with a virtual clock, which
// polling advances instead of sleeping. A reference with a real clock (eic serve's default)
// is polled in real time, every second.
func (c *Config) virtualClock(ctx context.Context) bool {
	if c.Control == nil {
		return false
	}
	c.clockOnce.Do(func() {
		v, err := c.Control.Virtual(ctx)
		c.virtual = err == nil && v
		if err == nil && !v && c.PollInterval == 0 {
			c.PollInterval = time.Second
		}
	})
	return c.virtual
}

// clockKind is the report's clock: virtual, real (a reference on the wall clock) or endpoint.
func (c *Config) clockKind(ctx context.Context) string {
	switch {
	case c.Control == nil:
		return "endpoint"
	case c.virtualClock(ctx):
		return "virtual"
	}
	return "real"
}

var defaultClient = &http.Client{Timeout: 60 * time.Second}

func (c *Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultClient
}

func (c *Config) spec() *spec.Spec { return spec.MustLoad() }

func (c *Config) pollInterval() time.Duration {
	if c.PollInterval > 0 {
		return c.PollInterval
	}
	return 10 * time.Second
}

func (c *Config) pollTimeout() time.Duration {
	if c.PollTimeout > 0 {
		return c.PollTimeout
	}
	return 2 * time.Hour
}

func (c *Config) pollStep() time.Duration {
	if c.PollStep > 0 {
		return c.PollStep
	}
	return 30 * time.Second
}

// prepare applies the region defaults to the fixtures, once per run: an empty Fixtures becomes
// none, and Region fills regions.home and the region of every image that names none.
func (c *Config) prepare() {
	c.once.Do(func() {
		if c.Fixtures == nil {
			c.Fixtures = &Fixtures{}
		}
		if c.Region == "" {
			return
		}
		f := *c.Fixtures
		f.Regions = map[string]string{}
		for k, v := range c.Fixtures.Regions {
			f.Regions[k] = v
		}
		if f.Regions["home"] == "" {
			f.Regions["home"] = c.Region
		}
		f.Images = map[string]Image{}
		for k, v := range c.Fixtures.Images {
			if v.Region == "" {
				v.Region = c.Region
			}
			f.Images[k] = v
		}
		c.Fixtures = &f
	})
}
