package ossapi_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/exportimage/eic/internal/osssig"
	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/eictest"
	"github.com/exportimage/eic/reference/oss"
)

// withObjects starts a reference whose bucket eic-export holds keys (content = key).
func withObjects(t testing.TB, keys []string) *eictest.Server {
	t.Helper()
	store := oss.NewMemory()
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithStore(store)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for _, k := range keys {
		put(t, store, "eic-export", k, []byte(k))
	}
	return srv
}

func put(t testing.TB, store oss.Store, bucket, key string, data []byte) {
	t.Helper()
	u, err := store.Create(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Commit(); err != nil {
		t.Fatal(err)
	}
}

// listKeys in byte order, as OSS lists them.
var listKeys = []string{"a/1", "a/2", "b/x y+z%", "c", "d/e/f", "e 1", "z", "中/文"}

func TestListObjectsV2_PagesWithDelimiter(t *testing.T) {
	srv := withObjects(t, listKeys)
	c := v2Client(srv, srv.Demo, "", false)
	for _, maxKeys := range []int32{1, 2, 3, 100} {
		p := c.NewListObjectsV2Paginator(&ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("eic-export"), Delimiter: ossv2.Ptr("/"), MaxKeys: maxKeys})
		var keys, prefixes []string
		pages := 0
		for p.HasNext() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatalf("max-keys %d: %v", maxKeys, err)
			}
			pages++
			if n := len(page.Contents) + len(page.CommonPrefixes); n > int(maxKeys) || int(page.KeyCount) != n {
				t.Fatalf("max-keys %d: a page of %d entries, KeyCount %d", maxKeys, n, page.KeyCount)
			}
			for _, o := range page.Contents {
				keys = append(keys, ossv2.ToString(o.Key))
			}
			for _, cp := range page.CommonPrefixes {
				prefixes = append(prefixes, ossv2.ToString(cp.Prefix))
			}
		}
		if want := []string{"c", "e 1", "z"}; !slices.Equal(keys, want) {
			t.Errorf("max-keys %d: keys %q, want %q", maxKeys, keys, want)
		}
		if want := []string{"a/", "b/", "d/", "中/"}; !slices.Equal(prefixes, want) {
			t.Errorf("max-keys %d: prefixes %q, want %q", maxKeys, prefixes, want)
		}
		if want := (7 + int(maxKeys) - 1) / int(maxKeys); pages != want {
			t.Errorf("max-keys %d: %d pages, want %d", maxKeys, pages, want)
		}
	}
	// Prefix without delimiter, and a key that needs URL encoding back.
	res, err := c.ListObjectsV2(context.Background(), &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("eic-export"), Prefix: ossv2.Ptr("b/")})
	if err != nil || len(res.Contents) != 1 || ossv2.ToString(res.Contents[0].Key) != "b/x y+z%" {
		t.Fatalf("prefix b/: %v %+v", err, res)
	}
}

func TestListObjects_MarkerPagingWithTheV1SDK(t *testing.T) {
	srv := withObjects(t, listKeys)
	_, b := v1Bucket(t, srv, srv.Demo, "eic-export")
	var got []string
	marker := ossv1.Marker("")
	for {
		res, err := b.ListObjects(ossv1.MaxKeys(3), marker)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			got = append(got, o.Key)
		}
		if !res.IsTruncated {
			break
		}
		marker = ossv1.Marker(res.NextMarker)
	}
	if !slices.Equal(got, listKeys) {
		t.Fatalf("listed %q, want %q", got, listKeys)
	}
}

func TestDeleteMultipleObjects(t *testing.T) {
	srv := withObjects(t, listKeys)
	c := v2Client(srv, srv.Demo, "", false)
	res, err := c.DeleteMultipleObjects(context.Background(), &ossv2.DeleteMultipleObjectsRequest{Bucket: ossv2.Ptr("eic-export"),
		Delete: &ossv2.Delete{Objects: []ossv2.ObjectIdentifier{{Key: ossv2.Ptr("a/1")}, {Key: ossv2.Ptr("b/x y+z%")}, {Key: ossv2.Ptr("never-there")}}}})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, d := range res.DeletedObjects {
		deleted = append(deleted, ossv2.ToString(d.Key))
	}
	if want := []string{"a/1", "b/x y+z%", "never-there"}; !slices.Equal(deleted, want) {
		t.Errorf("deleted %q, want %q", deleted, want)
	}
	left, err := c.ListObjectsV2(context.Background(), &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("eic-export")})
	if err != nil || len(left.Contents) != len(listKeys)-2 {
		t.Fatalf("after delete %v, %d objects left, want %d", err, len(left.Contents), len(listKeys)-2)
	}
}

// signedGet sends a V4-signed request to the OSS endpoint with extra headers.
func signedGet(t *testing.T, srv *eictest.Server, method, bucket, key, query string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	u := srv.OSSURL + "/" + bucket + "/" + osssig.EscapeKey(key)
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	osssig.SignV4(req, bucket, key, "cn-hangzhou", osssig.Credentials{AccessKeyID: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret}, time.Now())
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestGetObject_RangesAndErrors(t *testing.T) {
	srv := withObjects(t, []string{"0123456789"})
	for _, tc := range []struct {
		name       string
		hdr        map[string]string
		wantStatus int
		wantBody   string
	}{
		{"first bytes", map[string]string{"Range": "bytes=0-3"}, 206, "0123"},
		{"open end", map[string]string{"Range": "bytes=7-"}, 206, "789"},
		{"suffix", map[string]string{"Range": "bytes=-2"}, 206, "89"},
		{"end past the size is clamped", map[string]string{"Range": "bytes=8-100"}, 206, "89"},
		{"several ranges: whole object", map[string]string{"Range": "bytes=0-1,3-4"}, 200, "0123456789"},
		{"malformed: whole object", map[string]string{"Range": "bytes=5-2"}, 200, "0123456789"},
		{"past the end: whole object", map[string]string{"Range": "bytes=10-"}, 200, "0123456789"},
		{"past the end, standard behaviour", map[string]string{"Range": "bytes=10-", "x-oss-range-behavior": "standard"}, 416, "InvalidRange"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := signedGet(t, srv, http.MethodGet, "eic-export", "0123456789", "", tc.hdr)
			if res.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
	for _, tc := range []struct {
		name, method, bucket, key, query string
		wantStatus                       int
		wantCode                         string
	}{
		{"bad max-keys", http.MethodGet, "eic-export", "", "list-type=2&max-keys=1001", 400, "InvalidArgument"},
		{"bad continuation token", http.MethodGet, "eic-export", "", "list-type=2&continuation-token=%21%21", 400, "InvalidArgument"},
		{"invalid bucket name", http.MethodGet, "Bad_Bucket", "", "", 400, "InvalidBucketName"},
		{"uploads are not served", http.MethodPut, "eic-export", "new", "", 501, "NotImplemented"},
		{"HEAD error in x-oss-err", http.MethodHead, "eic-export", "missing", "", 404, "NoSuchKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := signedGet(t, srv, tc.method, tc.bucket, tc.key, tc.query, nil)
			if tc.method == http.MethodHead {
				body = res.Header.Get("x-oss-err") // base64 of the XML document
				if body != "" {
					body = tc.wantCode
				}
			}
			if res.StatusCode != tc.wantStatus || !strings.Contains(body, "<Code>"+tc.wantCode+"</Code>") && body != tc.wantCode {
				t.Fatalf("got %d %q, want %d %s", res.StatusCode, body, tc.wantStatus, tc.wantCode)
			}
			if res.Header.Get("x-oss-request-id") == "" || res.Header.Get("x-oss-ec") == "" {
				t.Error("x-oss-request-id or x-oss-ec missing")
			}
		})
	}
	t.Run("anonymous", func(t *testing.T) {
		res, err := http.Get(srv.OSSURL + "/eic-export/0123456789")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
			t.Fatalf("got %d %s", res.StatusCode, body)
		}
	})
	t.Run("skewed clock", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.OSSURL+"/eic-export/0123456789", nil)
		osssig.SignV1(req, "eic-export", "0123456789", osssig.Credentials{AccessKeyID: srv.Demo.AccessKeyID, AccessKeySecret: srv.Demo.AccessKeySecret}, time.Now().Add(-time.Hour))
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 403 || !strings.Contains(string(body), "<Code>RequestTimeTooSkewed</Code>") {
			t.Fatalf("got %d %s", res.StatusCode, body)
		}
	})
}

func TestListBuckets_OnlyTheCallersBuckets(t *testing.T) {
	srv := withObjects(t, nil)
	c, _ := v1Bucket(t, srv, srv.Demo, "eic-export")
	res, err := c.ListBuckets()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range res.Buckets {
		names = append(names, b.Name)
	}
	if want := []string{"eic-export", "eic-export-bj", "eic-export-sg", "eic-export-sh"}; !slices.Equal(names, want) {
		t.Fatalf("ListBuckets = %q, want %q", names, want)
	}
}

func TestIsBucketExist_WithTheV2SDK(t *testing.T) {
	srv := withObjects(t, nil)
	c := v2Client(srv, srv.Demo, "", false)
	for bucket, want := range map[string]bool{"eic-export": true, "eic-nothere": false} {
		got, err := c.IsBucketExist(context.Background(), bucket)
		if err != nil || got != want {
			t.Errorf("IsBucketExist(%s) = %v, %v; want %v", bucket, got, err, want)
		}
	}
	acl, err := c.GetBucketAcl(context.Background(), &ossv2.GetBucketAclRequest{Bucket: ossv2.Ptr("eic-export")})
	if err != nil || ossv2.ToString(acl.ACL) != "private" {
		t.Errorf("GetBucketAcl: %v %+v", err, acl)
	}
}
