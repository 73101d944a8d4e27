package ossapi_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"

	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/reference/eictest"
)

// v1Code is the OSS error code of an aliyun-oss-go-sdk error.
func v1Code(err error) string {
	var se ossv1.ServiceError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func v1Bucket(t *testing.T, srv *eictest.Server, cred eictest.Credentials, bucket string, opts ...ossv1.ClientOption) (*ossv1.Client, *ossv1.Bucket) {
	t.Helper()
	c, err := ossv1.New(srv.OSSURL, cred.AccessKeyID, cred.AccessKeySecret, append([]ossv1.ClientOption{ossv1.Timeout(5, 60)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(bucket)
	if err != nil {
		t.Fatal(err)
	}
	return c, b
}

// TestSDKv1 walks the same flow with github.com/aliyun/aliyun-oss-go-sdk, the SDK
// terraform's alicloud provider uses (V1 signature).
func TestSDKv1(t *testing.T) {
	e := startExported(t)
	c, b := v1Bucket(t, e.srv, e.srv.Demo, e.bucket)

	for _, list := range []func() ([]ossv1.ObjectProperties, error){
		func() ([]ossv1.ObjectProperties, error) {
			r, err := b.ListObjectsV2(ossv1.Prefix("EcsExport_"))
			return r.Objects, err
		},
		func() ([]ossv1.ObjectProperties, error) {
			r, err := b.ListObjects(ossv1.Prefix("EcsExport_"))
			return r.Objects, err
		},
	} {
		objs, err := list()
		if err != nil || len(objs) != 1 || objs[0].Key != e.key {
			t.Fatalf("list: %v %+v, want exactly %s", err, objs, e.key)
		}
	}

	meta, err := b.GetObjectDetailedMeta(e.key)
	if err != nil || meta.Get("ETag") == "" || meta.Get("Last-Modified") == "" {
		t.Fatalf("GetObjectDetailedMeta: %v %v", err, meta)
	}
	full := readV1(t, b, e.key)
	if meta.Get("Content-Length") != strconv.Itoa(len(full)) {
		t.Fatalf("Content-Length %s, downloaded %d", meta.Get("Content-Length"), len(full))
	}
	img, err := diskimage.Open(bytes.NewReader(full), int64(len(full)))
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := diskimage.Checksum(img); err != nil || sum != e.sha256 {
		t.Fatalf("download reads back to %s (%v), want %s", sum, err, e.sha256)
	}
	if got := readV1(t, b, e.key, ossv1.Range(10, 4105)); !bytes.Equal(got, full[10:4106]) {
		t.Errorf("Range(10, 4105): %d bytes differ", len(got))
	}

	signed, err := b.SignURL(e.key, ossv1.HTTPGet, 600)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(signed)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, full) {
		t.Fatalf("presigned GET %s: %s, %d bytes", signed, res.Status, len(body))
	}

	if loc, err := c.GetBucketLocation(e.bucket); err != nil || loc != "oss-ap-southeast-1" {
		t.Errorf("GetBucketLocation: %q %v", loc, err)
	}
	if info, err := c.GetBucketInfo(e.bucket); err != nil || info.BucketInfo.Name != e.bucket {
		t.Errorf("GetBucketInfo: %+v %v", info, err)
	}

	_, bad := v1Bucket(t, e.srv, eictest.Credentials{AccessKeyID: e.srv.Demo.AccessKeyID, AccessKeySecret: "wrong"}, e.bucket)
	if _, err := bad.GetObject(e.key); v1Code(err) != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v, want SignatureDoesNotMatch", err)
	}
	_, other := v1Bucket(t, e.srv, e.srv.Demo, "eic-other")
	if _, err := other.ListObjectsV2(); v1Code(err) != "AccessDenied" {
		t.Errorf("other account's bucket: %v, want AccessDenied", err)
	}
	if _, err := b.GetObject("missing"); v1Code(err) != "NoSuchKey" {
		t.Errorf("missing key: %v, want NoSuchKey", err)
	}

	if err := b.DeleteObject(e.key); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if ok, err := b.IsObjectExist(e.key); err != nil || ok {
		t.Fatalf("after delete IsObjectExist = %v, %v", ok, err)
	}
}

func readV1(t *testing.T, b *ossv1.Bucket, key string, opts ...ossv1.Option) []byte {
	t.Helper()
	rc, err := b.GetObject(key, opts...)
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
