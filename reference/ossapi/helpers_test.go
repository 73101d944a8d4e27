package ossapi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecsclient "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/exportimage/eic/reference/eictest"
)

// exported is a reference with one finished export: a qcow2 of m-eic-sg-custom in
// eic-export-sg, made through the official ECS SDK.
type exported struct {
	srv    *eictest.Server
	bucket string
	key    string
	sha256 string // of the source disk
	size   int64  // virtual size of the source disk
}

func startExported(t *testing.T) *exported {
	t.Helper()
	srv, err := eictest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := ecsclient.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(srv.Demo.AccessKeyID), AccessKeySecret: dara.String(srv.Demo.AccessKeySecret),
		Endpoint: dara.String(srv.ECSEndpoint), Protocol: dara.String("http"), RegionId: dara.String("ap-southeast-1"),
		NoProxy: dara.String(srv.ECSEndpoint),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.ExportImage(&ecsclient.ExportImageRequest{RegionId: dara.String("ap-southeast-1"),
		ImageId: dara.String("m-eic-sg-custom"), OSSBucket: dara.String("eic-export-sg"),
		OSSPrefix: dara.String("EcsExport"), ImageFormat: dara.String("qcow2")})
	if err != nil {
		t.Fatalf("ExportImage: %v", err)
	}
	taskID := dara.StringValue(resp.Body.TaskId)
	for i := 0; ; i++ {
		a, err := c.DescribeTaskAttribute(&ecsclient.DescribeTaskAttributeRequest{RegionId: dara.String("ap-southeast-1"), TaskId: dara.String(taskID)})
		if err != nil {
			t.Fatalf("DescribeTaskAttribute: %v", err)
		}
		if dara.StringValue(a.Body.TaskStatus) == "Finished" {
			break
		}
		if i == 100 {
			t.Fatalf("task %s is %s after 1000 s of clock", taskID, dara.StringValue(a.Body.TaskStatus))
		}
		if err := srv.Advance(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	disks, err := srv.Disks("m-eic-sg-custom")
	if err != nil || len(disks) == 0 {
		t.Fatalf("disks: %v %v", disks, err)
	}
	return &exported{srv: srv, bucket: "eic-export-sg", key: "EcsExport_m-eic-sg-custom_system.qcow2", sha256: disks[0].SHA256, size: disks[0].Size}
}

// v2Client is an OSS SDK v2 client (V4 signature unless v1) for the reference.
func v2Client(srv *eictest.Server, cred eictest.Credentials, token string, v1 bool) *ossv2.Client {
	cfg := ossv2.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.AccessKeySecret, token)).
		WithRegion("ap-southeast-1").WithEndpoint(srv.OSSURL).WithUsePathStyle(true).WithRetryMaxAttempts(1)
	if v1 {
		cfg = cfg.WithSignatureVersion(ossv2.SignatureVersionV1)
	}
	return ossv2.NewClient(cfg)
}

// virtualHostClient reaches the OSS endpoint as "bucket.oss-test.example:PORT": every
// host name is dialled at the reference's loopback address.
func virtualHostClient(srv *eictest.Server, cred eictest.Credentials) *ossv2.Client {
	_, port, _ := net.SplitHostPort(srv.OSSEndpoint)
	cfg := ossv2.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.AccessKeySecret)).
		WithRegion("ap-southeast-1").WithEndpoint("http://oss-test.example:" + port).WithRetryMaxAttempts(1).
		WithHttpClient(loopbackHTTP(srv))
	return ossv2.NewClient(cfg)
}

// loopbackHTTP is an HTTP client that dials every host at the reference's OSS endpoint.
func loopbackHTTP(srv *eictest.Server) *http.Client {
	addr := srv.OSSEndpoint
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// v2Code is the OSS error code of an SDK v2 error ("" when it is not a service error).
func v2Code(err error) string {
	var se *ossv2.ServiceError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// ossv2ListRequest is one ListObjectsV2 page request.
type ossv2ListRequest struct {
	Bucket  string
	MaxKeys int32
	Token   string
}

func (r *ossv2ListRequest) send(ctx context.Context, c *ossv2.Client) (*ossv2.ListObjectsV2Result, error) {
	req := &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr(r.Bucket), MaxKeys: r.MaxKeys}
	if r.Token != "" {
		req.ContinuationToken = ossv2.Ptr(r.Token)
	}
	return c.ListObjectsV2(ctx, req)
}
