// Package objects reads and deletes the objects of an OSS bucket through the official
// OSS SDK v2 (github.com/aliyun/alibabacloud-oss-go-sdk-v2, V4 signature), against real
// OSS or any OSS-compatible endpoint such as the reference's (eic serve --oss-listen).
// The suite's object steps use it when the fixtures give an OSS endpoint, so the same
// step runs against real OSS and the reference.
//
// It does only what checking an export needs: List (every page), Head, Open (whole or a
// byte range, streamed) and Delete. Errors from the service keep OSS's code: Code(err)
// returns it, and errors.Is(err, ErrNoSuchKey) / ErrNoSuchBucket / ErrAccessDenied test
// the common ones.
package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// Config says where and as whom to connect.
type Config struct {
	// Endpoint is the OSS endpoint: a URL ("http://127.0.0.1:8081") or a host name
	// ("oss-cn-hangzhou.aliyuncs.com", HTTPS).
	Endpoint string
	// Region is the region the V4 signature is scoped to ("cn-hangzhou").
	Region string
	// AccessKeyID, AccessKeySecret and, for STS credentials, SecurityToken.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// PathStyle addresses buckets as endpoint/bucket/key instead of bucket.endpoint/key;
	// needed when Endpoint is an IP address or localhost.
	PathStyle bool
	// HTTPClient, when set, sends the requests (default: the SDK's).
	HTTPClient *http.Client
}

// Client is an OSS client for bucket objects.
type Client struct {
	c *oss.Client
}

// New returns a Client; it fails when the configuration lacks an endpoint, region or key.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, errors.New("objects: no endpoint")
	case cfg.Region == "":
		return nil, errors.New("objects: no region")
	case cfg.AccessKeyID == "" || cfg.AccessKeySecret == "":
		return nil, errors.New("objects: no access key")
	}
	c := oss.LoadDefaultConfig().
		WithEndpoint(cfg.Endpoint).WithRegion(cfg.Region).WithUsePathStyle(cfg.PathStyle).
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken))
	if cfg.HTTPClient != nil {
		c = c.WithHttpClient(cfg.HTTPClient)
	}
	return &Client{c: oss.NewClient(c)}, nil
}

// Object describes an object.
type Object struct {
	Key          string
	Size         int64
	ETag         string // as OSS sends it, quoted
	LastModified time.Time
}

// Errors that errors.Is recognises in what the methods return.
var (
	ErrNoSuchKey    = errors.New("objects: NoSuchKey")
	ErrNoSuchBucket = errors.New("objects: NoSuchBucket")
	ErrAccessDenied = errors.New("objects: AccessDenied")
)

// serviceError wraps the SDK's error so errors.Is can test the OSS code.
type serviceError struct {
	op   string
	code string
	err  error
}

func (e *serviceError) Error() string { return "objects: " + e.op + ": " + e.err.Error() }
func (e *serviceError) Unwrap() error { return e.err }
func (e *serviceError) Is(target error) bool {
	switch target {
	case ErrNoSuchKey:
		return e.code == "NoSuchKey"
	case ErrNoSuchBucket:
		return e.code == "NoSuchBucket"
	case ErrAccessDenied:
		return e.code == "AccessDenied"
	}
	return false
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *oss.ServiceError
	if errors.As(err, &se) {
		return &serviceError{op: op, code: se.Code, err: err}
	}
	return fmt.Errorf("objects: %s: %w", op, err)
}

// Code is the OSS error code carried by err ("" when err is not an OSS service error).
func Code(err error) string {
	var se *serviceError
	if errors.As(err, &se) {
		return se.code
	}
	return ""
}

// List returns every object of bucket whose key starts with prefix, in key order,
// following ListObjectsV2 pages.
func (c *Client) List(ctx context.Context, bucket, prefix string) ([]Object, error) {
	p := c.c.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{Bucket: oss.Ptr(bucket), Prefix: oss.Ptr(prefix), MaxKeys: 1000})
	var out []Object
	for p.HasNext() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("list "+bucket, err)
		}
		for _, o := range page.Contents {
			out = append(out, Object{Key: oss.ToString(o.Key), Size: o.Size, ETag: oss.ToString(o.ETag), LastModified: oss.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// Head describes one object.
func (c *Client) Head(ctx context.Context, bucket, key string) (Object, error) {
	r, err := c.c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		return Object{}, wrap("head "+bucket+"/"+key, err)
	}
	return Object{Key: key, Size: r.ContentLength, ETag: oss.ToString(r.ETag), LastModified: oss.ToTime(r.LastModified)}, nil
}

// Open streams an object: the whole of it when length is negative, else length bytes from
// offset. The caller closes the reader.
func (c *Client) Open(ctx context.Context, bucket, key string, offset, length int64) (io.ReadCloser, error) {
	req := &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)}
	if length >= 0 {
		if length == 0 {
			return io.NopCloser(eofReader{}), nil
		}
		req.Range = oss.Ptr(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
		req.RangeBehavior = oss.Ptr("standard")
	}
	r, err := c.c.GetObject(ctx, req)
	if err != nil {
		return nil, wrap("get "+bucket+"/"+key, err)
	}
	return r.Body, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// Delete deletes an object; deleting a missing key succeeds, as on OSS.
func (c *Client) Delete(ctx context.Context, bucket, key string) error {
	_, err := c.c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	return wrap("delete "+bucket+"/"+key, err)
}
