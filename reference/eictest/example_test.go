package eictest_test

import (
	"context"
	"fmt"
	"io"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecsclient "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/exportimage/eic/reference/eictest"
)

// Start the reference inside a test, export an image with the ECS SDK, move the virtual
// clock until the task finishes, and read the object with the OSS SDK.
func ExampleNewServer() {
	srv, err := eictest.NewServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ecs, _ := ecsclient.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(srv.Demo.AccessKeyID), AccessKeySecret: dara.String(srv.Demo.AccessKeySecret),
		Endpoint: dara.String(srv.ECSEndpoint), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou"),
	})
	exp, err := ecs.ExportImage(&ecsclient.ExportImageRequest{RegionId: dara.String("cn-hangzhou"),
		ImageId: dara.String("m-eic-custom"), OSSBucket: dara.String("eic-export"), OSSPrefix: dara.String("Demo")})
	if err != nil {
		panic(err)
	}
	for {
		a, err := ecs.DescribeTaskAttribute(&ecsclient.DescribeTaskAttributeRequest{RegionId: dara.String("cn-hangzhou"), TaskId: exp.Body.TaskId})
		if err != nil {
			panic(err)
		}
		if dara.StringValue(a.Body.TaskStatus) == "Finished" {
			break
		}
		_ = srv.Advance(10 * time.Second) // virtual time: the export progresses at once
	}

	c := oss.NewClient(oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(srv.Demo.AccessKeyID, srv.Demo.AccessKeySecret)).
		WithRegion("cn-hangzhou").WithEndpoint(srv.OSSURL).WithUsePathStyle(true))
	list, err := c.ListObjectsV2(context.Background(), &oss.ListObjectsV2Request{Bucket: oss.Ptr("eic-export"), Prefix: oss.Ptr("Demo_")})
	if err != nil {
		panic(err)
	}
	key := oss.ToString(list.Contents[0].Key)
	get, err := c.GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr("eic-export"), Key: oss.Ptr(key), Range: oss.Ptr("bytes=0-1")})
	if err != nil {
		panic(err)
	}
	defer get.Body.Close()
	magic, _ := io.ReadAll(get.Body)
	fmt.Printf("%s starts with %x (gzip)\n", key, magic)
	// Output: Demo_m-eic-custom_system.raw.tar.gz starts with 1f8b (gzip)
}
