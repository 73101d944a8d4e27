package ossapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/exportimage/eic/reference/diskimage"
	"github.com/exportimage/eic/reference/eictest"
)

// TestSDKv2 walks what a tool does with the OSS SDK v2 (V4 signature by default, and V1
// when configured) against an exported object.
func TestSDKv2(t *testing.T) {
	e := startExported(t)
	ctx := context.Background()
	for _, mode := range []struct {
		name string
		c    func() *ossv2.Client
	}{
		{"v4 path-style", func() *ossv2.Client { return v2Client(e.srv, e.srv.Demo, "", false) }},
		{"v1 path-style", func() *ossv2.Client { return v2Client(e.srv, e.srv.Demo, "", true) }},
		{"v4 virtual-hosted", func() *ossv2.Client { return virtualHostClient(e.srv, e.srv.Demo) }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			c := mode.c()
			// List: the export is there, with its size and ETag.
			p := c.NewListObjectsV2Paginator(&ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr(e.bucket), Prefix: ossv2.Ptr("EcsExport_")})
			var listed []ossv2.ObjectProperties
			for p.HasNext() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListObjectsV2: %v", err)
				}
				listed = append(listed, page.Contents...)
			}
			if len(listed) != 1 || ossv2.ToString(listed[0].Key) != e.key {
				t.Fatalf("listed %d objects, want exactly %s", len(listed), e.key)
			}

			head, err := c.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if head.ContentLength != listed[0].Size || ossv2.ToString(head.ETag) != ossv2.ToString(listed[0].ETag) || head.LastModified == nil {
				t.Fatalf("head size %d etag %s, list size %d etag %s", head.ContentLength, ossv2.ToString(head.ETag), listed[0].Size, ossv2.ToString(listed[0].ETag))
			}

			// Full download, read back to the source disk's checksum.
			full := getAll(t, c, e.bucket, e.key, "")
			if int64(len(full)) != head.ContentLength {
				t.Fatalf("downloaded %d bytes, HeadObject says %d", len(full), head.ContentLength)
			}
			img, err := diskimage.Open(bytes.NewReader(full), int64(len(full)))
			if err != nil {
				t.Fatalf("open download: %v", err)
			}
			if sum, err := diskimage.Checksum(img); err != nil || sum != e.sha256 || img.Size() != e.size {
				t.Fatalf("download reads back to %s (%v, %d bytes), want %s (%d)", sum, err, img.Size(), e.sha256, e.size)
			}

			// Ranged reads agree with the full download.
			for _, r := range []struct {
				hdr      string
				from, to int64
			}{{"bytes=0-99", 0, 100}, {"bytes=1000-", 1000, int64(len(full))}, {"bytes=-17", int64(len(full)) - 17, int64(len(full))}} {
				got := getAll(t, c, e.bucket, e.key, r.hdr)
				if !bytes.Equal(got, full[r.from:r.to]) {
					t.Errorf("Range %s: %d bytes differ from the full download's [%d,%d)", r.hdr, len(got), r.from, r.to)
				}
			}

			// Presigned GET through a plain HTTP client, with a conditional request after it.
			pre, err := c.Presign(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}, ossv2.PresignExpires(10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			hc := loopbackHTTP(e.srv)
			res, err := hc.Get(pre.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !bytes.Equal(body, full) {
				t.Fatalf("presigned GET: %s, %d bytes", res.Status, len(body))
			}
			if res.Header.Get("x-oss-request-id") == "" {
				t.Error("no x-oss-request-id")
			}
			req, _ := http.NewRequest(http.MethodGet, pre.URL, nil)
			req.Header.Set("If-None-Match", ossv2.ToString(head.ETag))
			if res, err := hc.Do(req); err != nil || res.StatusCode != http.StatusNotModified {
				t.Fatalf("If-None-Match with the ETag: %v %v, want 304", err, res.Status)
			}
			req.Header.Del("If-None-Match")
			req.Header.Set("If-Match", `"00000000000000000000000000000000"`)
			if res, err := hc.Do(req); err != nil || res.StatusCode != http.StatusPreconditionFailed {
				t.Fatalf("If-Match with another ETag: %v %v, want 412", err, res.Status)
			}

			// Bucket information.
			info, err := c.GetBucketInfo(ctx, &ossv2.GetBucketInfoRequest{Bucket: ossv2.Ptr(e.bucket)})
			if err != nil || ossv2.ToString(info.BucketInfo.Name) != e.bucket || ossv2.ToString(info.BucketInfo.Location) != "oss-ap-southeast-1" {
				t.Fatalf("GetBucketInfo: %v %+v", err, info)
			}
			loc, err := c.GetBucketLocation(ctx, &ossv2.GetBucketLocationRequest{Bucket: ossv2.Ptr(e.bucket)})
			if err != nil || ossv2.ToString(loc.LocationConstraint) != "oss-ap-southeast-1" {
				t.Fatalf("GetBucketLocation: %v %+v", err, loc)
			}

			// What must fail, with OSS's codes.
			if _, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr("missing")}); v2Code(err) != "NoSuchKey" {
				t.Errorf("missing key: %v, want NoSuchKey", err)
			}
			if _, err := c.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr("missing")}); v2Code(err) != "NoSuchKey" {
				t.Errorf("HeadObject of a missing key: %v, want NoSuchKey", err)
			}
			if _, err := c.ListObjectsV2(ctx, &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("eic-no-such-bucket")}); v2Code(err) != "NoSuchBucket" {
				t.Errorf("missing bucket: %v, want NoSuchBucket", err)
			}
			if _, err := c.ListObjectsV2(ctx, &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("eic-other")}); v2Code(err) != "AccessDenied" {
				t.Errorf("other account's bucket: %v, want AccessDenied", err)
			}
		})
	}

	t.Run("wrong secret", func(t *testing.T) {
		for _, v1 := range []bool{false, true} {
			c := v2Client(e.srv, eictest.Credentials{AccessKeyID: e.srv.Demo.AccessKeyID, AccessKeySecret: "wrong"}, "", v1)
			if _, err := c.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); v2Code(err) != "SignatureDoesNotMatch" {
				t.Errorf("v1=%v: %v, want SignatureDoesNotMatch", v1, err)
			}
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		c := v2Client(e.srv, eictest.Credentials{AccessKeyID: "LTAI5tNoSuchKey", AccessKeySecret: "x"}, "", false)
		if _, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); v2Code(err) != "InvalidAccessKeyId" {
			t.Errorf("%v, want InvalidAccessKeyId", err)
		}
	})
	t.Run("STS token", func(t *testing.T) {
		tok, err := e.srv.STS("demo", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		cred := eictest.Credentials{AccessKeyID: tok.AccessKeyID, AccessKeySecret: tok.AccessKeySecret}
		if _, err := v2Client(e.srv, cred, tok.SecurityToken, false).HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); err != nil {
			t.Errorf("with the token: %v", err)
		}
		if _, err := v2Client(e.srv, cred, "", false).HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); v2Code(err) != "InvalidAccessKeyId" {
			t.Errorf("without the token: %v, want InvalidAccessKeyId", err)
		}
		if err := e.srv.Advance(2 * time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := v2Client(e.srv, cred, tok.SecurityToken, false).HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); v2Code(err) != "SecurityTokenExpired" {
			t.Errorf("expired token: %v, want SecurityTokenExpired", err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		c := v2Client(e.srv, e.srv.Demo, "", false)
		if _, err := c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		if _, err := c.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); v2Code(err) != "NoSuchKey" {
			t.Errorf("after delete: %v, want NoSuchKey", err)
		}
		if _, err := c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: ossv2.Ptr(e.bucket), Key: ossv2.Ptr(e.key)}); err != nil {
			t.Errorf("deleting again: %v, want success as OSS answers", err)
		}
	})
}

func getAll(t *testing.T, c *ossv2.Client, bucket, key, rng string) []byte {
	t.Helper()
	req := &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr(key)}
	if rng != "" {
		req.Range = ossv2.Ptr(rng)
	}
	res, err := c.GetObject(context.Background(), req)
	if err != nil {
		t.Fatalf("GetObject %s: %v", rng, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GetObject %s body: %v", rng, err)
	}
	return data
}
