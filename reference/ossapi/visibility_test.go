package ossapi_test

import (
	"context"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecsclient "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/exportimage/eic/reference"
	"github.com/exportimage/eic/reference/eictest"
)

// TestExportInProgressIsInvisible: while the task is Processing, the OSS endpoint shows
// nothing of its object; once Finished, the object is there whole.
func TestExportInProgressIsInvisible(t *testing.T) {
	srv, err := eictest.NewServer(eictest.WithReferenceOptions(reference.WithExportSpeed(64 << 10)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := ecsclient.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(srv.Demo.AccessKeyID), AccessKeySecret: dara.String(srv.Demo.AccessKeySecret),
		Endpoint: dara.String(srv.ECSEndpoint), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou"),
	})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := c.ExportImage(&ecsclient.ExportImageRequest{RegionId: dara.String("cn-hangzhou"), ImageId: dara.String("m-eic-custom"),
		OSSBucket: dara.String("eic-export"), OSSPrefix: dara.String("Slow")})
	if err != nil {
		t.Fatal(err)
	}
	o := v2Client(srv, srv.Demo, "", false)
	ctx := context.Background()
	key := "Slow_m-eic-custom_system.raw.tar.gz"
	status := func() string {
		a, err := c.DescribeTaskAttribute(&ecsclient.DescribeTaskAttributeRequest{RegionId: dara.String("cn-hangzhou"), TaskId: exp.Body.TaskId})
		if err != nil {
			t.Fatal(err)
		}
		return dara.StringValue(a.Body.TaskStatus)
	}
	if err := srv.Advance(12 * time.Second); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != "Processing" {
		t.Fatalf("task is %s, want Processing (export speed too high for this test?)", s)
	}
	list, err := o.ListObjectsV2(ctx, &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("eic-export"), Prefix: ossv2.Ptr("Slow")})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("while Processing: %v, %d objects listed", err, len(list.Contents))
	}
	if _, err := o.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr("eic-export"), Key: ossv2.Ptr(key)}); v2Code(err) != "NoSuchKey" {
		t.Fatalf("HeadObject while Processing: %v, want NoSuchKey", err)
	}
	for i := 0; status() != "Finished"; i++ {
		if i == 200 {
			t.Fatal("the export did not finish")
		}
		if err := srv.Advance(time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr("eic-export"), Key: ossv2.Ptr(key)}); err != nil {
		t.Fatalf("HeadObject once Finished: %v", err)
	}
}
