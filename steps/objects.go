package steps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/exportimage/eic/internal/objects"
)

// Exported objects are read, and deleted after the scenario, with the OSS SDK
// (internal/objects) against any endpoint: the real OSS of the bucket's region, or the OSS
// endpoint of Config.OSSEndpoint (eic serve --oss-listen, the embedded reference). Only a
// reference with a control API and no OSS endpoint is read through the control API.

// objectOwner is an object a task of the scenario named, with the credentials of the account
// that exported it (deletion uses them after the scenario, whoever the caller is by then).
type objectOwner struct {
	bucket, key, region string
	account             Account
}

// viaControl reports whether objects are read through the reference's control API.
func (w *world) viaControl() bool { return w.cfg.Control != nil && w.cfg.OSSEndpoint == "" }

// objectClient is an OSS client for bucket with the credentials of a.
func (w *world) objectClient(bucket string, a Account) (*objects.Client, error) {
	region := w.bucketRegion(bucket)
	if region == "" && w.task != nil {
		region = w.task.region
	}
	return w.cfg.objectClient(region, a)
}

// objectClient is an OSS client for a bucket in region (the run's region when empty): through
// OSSEndpoint when set, else the region's public OSS endpoint.
func (c *Config) objectClient(region string, a Account) (*objects.Client, error) {
	if region == "" {
		region = c.Region
	}
	endpoint := c.OSSEndpoint
	if endpoint == "" {
		endpoint = "oss-" + region + ".aliyuncs.com"
	}
	return objects.New(objects.Config{Endpoint: endpoint, Region: region, AccessKeyID: a.AccessKeyID,
		AccessKeySecret: a.AccessKeySecret, SecurityToken: a.SecurityToken, PathStyle: pathStyle(endpoint),
		HTTPClient: c.OSSHTTPClient})
}

// pathStyle: an endpoint that is an IP address or localhost cannot take bucket.host names.
func pathStyle(endpoint string) bool {
	host := endpoint
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(strings.Trim(host, "[]")) != nil
}

// openObject reads an object: through the control API against a reference without an OSS
// endpoint, else with the OSS SDK into a temporary file (exports can be large). done
// releases it.
func (w *world) openObject(ctx context.Context, bucket, key string) (io.ReaderAt, int64, func(), error) {
	if w.viaControl() {
		data, err := w.cfg.Control.Object(ctx, bucket, key)
		if err != nil {
			return nil, 0, nil, err
		}
		return bytes.NewReader(data), int64(len(data)), func() {}, nil
	}
	c, err := w.objectClient(bucket, w.account)
	if err != nil {
		return nil, 0, nil, err
	}
	body, err := c.Open(ctx, bucket, key, 0, -1)
	if err != nil {
		return nil, 0, nil, err
	}
	defer body.Close()
	f, err := os.CreateTemp("", "eic-object-*")
	if err != nil {
		return nil, 0, nil, err
	}
	done := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, body)
	if err != nil {
		done()
		return nil, 0, nil, fmt.Errorf("reading oss://%s/%s: %w", bucket, key, err)
	}
	return f, n, done, nil
}

// deleteObjects deletes, unless Config.KeepObjects, the objects the scenario's tasks named,
// and records the outcome in the report. Against a reference read through its control API
// nothing is deleted: the next scenario's reset wipes them.
func (w *world) deleteObjects(ctx context.Context) {
	if w.cfg.KeepObjects || w.viaControl() {
		return
	}
	for _, o := range w.owned {
		c, err := w.cfg.objectClient(o.region, o.account) // the export's region, that of its bucket
		if err == nil {
			err = c.Delete(ctx, o.bucket, o.key)
		}
		if w.cfg.results != nil {
			w.cfg.results.objectDeleted(o.bucket, o.key, err)
		}
	}
	w.owned = nil
}

func (w *world) bucketRegion(name string) string {
	for _, b := range w.cfg.Fixtures.Buckets {
		if b.Name == name {
			return b.Region
		}
	}
	return ""
}
