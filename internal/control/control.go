// Package control is a client of the reference server's control API (/_reference/...,
// docs/reference.md): reset, the virtual clock, quotas, faults, bucket objects, source-disk
// checksums and STS credentials. The conformance steps and the fuzzer both drive the reference
// through it; neither reaches into the reference's internals.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one endpoint's control API with its bearer token. HTTP (nil: the default
// client) carries the requests, so a caller can use an in-process transport and a timeout.
type Client struct {
	Base  string // endpoint base URL, e.g. http://127.0.0.1:8080
	Token string
	HTTP  *http.Client
}

// Disk is one source disk of an image as GET /_reference/images/{id}/disks reports it.
type Disk struct {
	Device string `json:"device"`
	Object string `json:"object"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Object is one object of a bucket.
type Object struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
	ETag string `json:"etag"`
}

// Credentials are temporary credentials issued by POST /_reference/sts.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	SecurityToken   string `json:"securityToken"`
	Expiration      string `json:"expiration"`
}

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// raw performs one call and returns the body of a 2xx answer.
func (c *Client) raw(ctx context.Context, method, path string, in any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Base, "/")+"/_reference/"+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("control %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("control %s %s: status = %d, want 2xx: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	return data, nil
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	data, err := c.raw(ctx, method, path, in)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("control %s %s: decode: %w", method, path, err)
	}
	return nil
}

// Health reports whether the endpoint answers GET /_reference/health (no token needed).
func (c *Client) Health(ctx context.Context) bool {
	var out struct{ OK bool }
	return c.call(ctx, http.MethodGet, "health", nil, &out) == nil && out.OK
}

// Reset returns the reference to its loaded fixtures (clock unchanged).
func (c *Client) Reset(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "reset", struct{}{}, nil)
}

// Now returns the server's clock.
func (c *Client) Now(ctx context.Context) (time.Time, error) {
	var out struct {
		Now time.Time `json:"now"`
	}
	err := c.call(ctx, http.MethodGet, "clock", nil, &out)
	return out.Now, err
}

// Virtual reports whether the server runs a virtual clock (GET /_reference/clock).
func (c *Client) Virtual(ctx context.Context) (bool, error) {
	var out struct {
		Virtual bool `json:"virtual"`
	}
	err := c.call(ctx, http.MethodGet, "clock", nil, &out)
	return out.Virtual, err
}

// Advance moves the virtual clock; tasks progress before it answers.
func (c *Client) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	var out struct {
		Now time.Time `json:"now"`
	}
	err := c.call(ctx, http.MethodPost, "clock/advance", map[string]string{"duration": d.String()}, &out)
	return out.Now, err
}

// SetQuota sets the export quotas of an account in a region.
func (c *Client) SetQuota(ctx context.Context, account, region string, concurrent, weekly int) error {
	return c.call(ctx, http.MethodPut, "quotas", map[string]any{
		"account": account, "region": region, "concurrent": concurrent, "weekly": weekly}, nil)
}

// Fault injects a fault (see docs/reference.md for the kinds).
func (c *Client) Fault(ctx context.Context, fault map[string]any) error {
	return c.call(ctx, http.MethodPost, "faults", fault, nil)
}

// Objects lists a bucket.
func (c *Client) Objects(ctx context.Context, bucket string) ([]Object, error) {
	var out []Object
	err := c.call(ctx, http.MethodGet, "buckets/"+url.PathEscape(bucket)+"/objects", nil, &out)
	return out, err
}

// Object returns an object's bytes.
func (c *Client) Object(ctx context.Context, bucket, key string) ([]byte, error) {
	return c.raw(ctx, http.MethodGet, "buckets/"+url.PathEscape(bucket)+"/objects/"+url.PathEscape(key), nil)
}

// Disks returns the source disks of an image with their checksums.
func (c *Client) Disks(ctx context.Context, imageID string) ([]Disk, error) {
	var out []Disk
	err := c.call(ctx, http.MethodGet, "images/"+url.PathEscape(imageID)+"/disks", nil, &out)
	return out, err
}

// STS issues temporary credentials for an account.
func (c *Client) STS(ctx context.Context, account string, ttl time.Duration) (Credentials, error) {
	var out Credentials
	err := c.call(ctx, http.MethodPost, "sts", map[string]string{"account": account, "ttl": ttl.String()}, &out)
	return out, err
}
